// Sessions from Python-written Odoo session files, checked against the database.
#include "orm_bridge/odoo_session_store.hpp"
#include "tests/support/pg_database.hpp"
#include "tests/support/python.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>

namespace asio = boost::asio;

namespace {
constexpr char secret[] = "5f0c9a4e-3b7d-4e21-9c6a-8d2f1b7e4a90"; // etc/demo.sql's database.secret

struct fixture {
    lp::test::test_database db{"lp_sessions"};
    lp::test::temp_directory data_dir;
    asio::io_context io;
    lp::orm::database_set databases{io.get_executor(), {db.name()}, db.settings(2)};
    lp::orm::odoo_session_store store{data_dir.path() / "sessions", databases};

    /// Runs scripts/make-odoo-session (Python's pickle/json/hmac) and returns the session id.
    std::string make_session(std::string const& extra, std::string const& database = "")
    {
        auto const command = lp::test::env_or_fail("LP_SOURCE_DIR") + "/scripts/make-odoo-session --data-dir "
                           + data_dir.path().string() + " --db " + (database.empty() ? db.name() : database) + " "
                           + extra;
        FILE* pipe = popen(command.c_str(), "r");
        BOOST_REQUIRE(pipe);
        char sid[128] = {};
        BOOST_REQUIRE(std::fgets(sid, sizeof sid, pipe));
        BOOST_REQUIRE(pclose(pipe) == 0);
        std::string id(sid);
        id.erase(id.find_last_not_of("\n") + 1);
        return id;
    }

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

BOOST_AUTO_TEST_CASE(a_stale_token_is_refused_after_a_password_change)
{
    auto sid = make_session("--uid 3 --login demo --password demo --secret " + std::string(secret));
    BOOST_TEST(find(sid).has_value());
    db.exec("UPDATE res_users SET password = 'changed' WHERE id = 3");
    BOOST_TEST(!find(sid).has_value());
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

BOOST_AUTO_TEST_SUITE_END()
