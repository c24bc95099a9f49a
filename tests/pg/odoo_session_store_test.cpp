// Sessions from Python-written Odoo session files, checked against the database.
#include "orm_bridge/odoo_session_store.hpp"
#include "tests/support/odoo_server.hpp"

#include <boost/test/unit_test.hpp>

#include <ctime>
#include <filesystem>

namespace asio = boost::asio;

namespace {
constexpr auto const& secret = lp::test::demo_secret;

struct fixture : lp::test::odoo_server_fixture {
    fixture() : odoo_server_fixture("lp_sessions") {}
    asio::io_context io;
    lp::orm::database_set databases{io.get_executor(), {db.name()}, db.settings(2)};
    lp::orm::odoo_session_store store{data_dir.path() / "sessions", databases};

    std::optional<lp::orm::session> find(std::string const& sid) { return lp::test::run(io, store.find(sid)); }
};
} // namespace

BOOST_FIXTURE_TEST_SUITE(odoo_session_store, fixture)

BOOST_AUTO_TEST_CASE(a_pickled_session_with_a_correct_token)
{
    auto sid = make_session("--uid 2 --login admin --password admin --secret " + std::string(secret));
    auto s = find(sid);
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(s->uid == 2);
    BOOST_TEST(s->db == db.name());
    BOOST_TEST(s->login == "admin");
    BOOST_TEST(s->context.at("tz").as_string() == "Europe/Brussels");
}

BOOST_AUTO_TEST_CASE(json_and_old_werkzeug_sessions)
{
    auto json_sid = make_session("--format json --uid 3 --login demo --password demo --secret " + std::string(secret));
    BOOST_TEST(find(json_sid).value().uid == 3);
    auto old_sid = make_session("--format werkzeug --uid 2 --login admin");
    BOOST_TEST(find(old_sid).value().uid == 2); // no token before Odoo 12
}

BOOST_AUTO_TEST_CASE(a_wrong_token_is_refused)
{
    auto forged = make_session("--uid 2 --login admin --password admin --secret " + std::string(secret) + " --token "
                               + std::string(64, 'a'));
    BOOST_TEST(!find(forged).has_value());
    auto wrong_secret = make_session("--uid 2 --login admin --password admin --secret not-the-secret");
    BOOST_TEST(!find(wrong_secret).has_value());
}

BOOST_AUTO_TEST_CASE(a_known_session_costs_no_query)
{
    auto sid = make_session("--uid 2 --login admin --password admin --secret " + std::string(secret));
    auto const& users = databases.find(db.name())->users();
    BOOST_TEST(find(sid).has_value());
    auto const reads = users.stats().reads;
    for (int i = 0; i < 50; ++i)
        BOOST_TEST(find(sid).has_value());
    BOOST_TEST(users.stats().reads == reads); // within user_check_every (1 s): from the cache
}

BOOST_AUTO_TEST_CASE(a_stale_token_is_refused_after_a_password_change)
{
    // The row is read again once user_check_every has passed: 0 here, so at once.
    auto settings = db.settings(2);
    settings.user_check_every = std::chrono::milliseconds(0);
    lp::orm::database_set checked{io.get_executor(), {db.name()}, settings};
    lp::orm::odoo_session_store checked_store{data_dir.path() / "sessions", checked};
    auto sid = make_session("--uid 3 --login demo --password demo --secret " + std::string(secret));
    BOOST_TEST(lp::test::run(io, checked_store.find(sid)).has_value());
    db.exec("UPDATE res_users SET password = 'changed' WHERE id = 3"); // even without write_date
    BOOST_TEST(!lp::test::run(io, checked_store.find(sid)).has_value());
}

BOOST_AUTO_TEST_CASE(logged_out_inactive_unknown_and_foreign_sessions_are_refused)
{
    auto sid = make_session("--uid 2 --login admin --password admin --secret " + std::string(secret));
    std::filesystem::remove(data_dir.path() / "sessions" / sid.substr(0, 2) / sid); // Odoo's logout deletes it
    BOOST_TEST(!find(sid).has_value());
    BOOST_TEST(!find(make_session("--uid 1 --login __system__")).has_value()); // inactive user
    BOOST_TEST(!find(make_session("--uid 99 --login ghost")).has_value());
    BOOST_TEST(!find(make_session("--uid 2 --login admin", "some_other_db")).has_value());
    BOOST_TEST(!find("../../etc/passwd").has_value());
    BOOST_TEST(!find(std::string(40, 'f')).has_value());
}

BOOST_AUTO_TEST_CASE(odoo_18_sessions_past_their_deletion_time_are_logged_out)
{
    auto const admin = "--uid 2 --login admin --password admin --token-format 18 --secret " + std::string(secret);
    auto const now = std::time(nullptr);
    // A session rotated away (Odoo 18 marks the old one and deletes it later): logged out once
    // its time has come, in both of Odoo's file formats, as a float or an int.
    for (auto const* format : {"pickle", "json"}) {
        auto const past = std::to_string(now - 1) + ".5";
        BOOST_TEST(!find(make_session(admin + " --format " + format + " --set deletion_time=" + past)).has_value(), format);
        BOOST_TEST(!find(make_session(admin + " --format " + format + " --set deletion_time=" + std::to_string(now - 1)))
                        .has_value(),
                   format);
        auto const later = make_session(admin + " --format " + format + " --set deletion_time=" + std::to_string(now + 3600));
        BOOST_TEST(find(later).has_value(), format);
        BOOST_TEST(find(make_session(admin + " --format " + format + " --set deletion_time=null")).has_value(), format);
    }
}

BOOST_AUTO_TEST_CASE(the_is_websocket_session_mark_is_read)
{
    auto const admin = "--uid 2 --login admin --password admin --secret " + std::string(secret);
    BOOST_TEST(!find(make_session(admin)).value().is_websocket_session);
    BOOST_TEST(find(make_session(admin + " --set is_websocket_session=true")).value().is_websocket_session);
    BOOST_TEST(find(make_session(admin + " --format json --set is_websocket_session=false")).value().is_websocket_session);
}

BOOST_AUTO_TEST_SUITE_END()
