// Session files kept parsed until their stat says they changed; bounded.
#include <boost/test/unit_test.hpp>

#include "orm_bridge/session_file_cache.hpp"
#include "tests/support/python.hpp"

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string const sid_a = "aa0123456789abcdef0123456789abcdef012345";
std::string const sid_b = "bb0123456789abcdef0123456789abcdef012345";
std::string const sid_c = "cc0123456789abcdef0123456789abcdef012345";

std::string session_json(int uid) { return R"({"db":"odoo","uid":)" + std::to_string(uid) + R"(,"login":"admin"})"; }

struct fixture {
    lp::test::temp_directory directory;
    fs::path sessions = directory.path() / "sessions";

    fs::path path_of(std::string const& sid) const { return sessions / sid.substr(0, 2) / sid; }

    /// Written as Odoo writes it: a new file renamed over the old one.
    void write(std::string const& sid, std::string const& bytes) const
    {
        auto const temporary = sessions / "tmp-session";
        lp::test::write_bytes(temporary, bytes);
        fs::create_directories(path_of(sid).parent_path());
        fs::rename(temporary, path_of(sid));
    }

    /// Most tests keep files at once; settle_time has its own test.
    lp::orm::session_file_cache cache(lp::orm::session_file_cache_settings settings = {.settle_time = 0ms}) const
    {
        return lp::orm::session_file_cache(sessions, settings);
    }
};

int uid_of(std::shared_ptr<lp::orm::session_file_version> const& v) { return v ? static_cast<int>(v->data.uid) : -1; }

} // namespace

BOOST_FIXTURE_TEST_SUITE(session_file_cache, fixture)

BOOST_AUTO_TEST_CASE(a_known_file_is_read_once)
{
    write(sid_a, session_json(2));
    auto files = cache();
    auto const first = files.find(sid_a);
    BOOST_TEST(uid_of(first) == 2);
    BOOST_TEST(first->data.db == "odoo");
    for (int i = 0; i < 10; ++i)
        BOOST_TEST((files.find(sid_a) == first)); // the very same version
    BOOST_TEST(files.stats().reads == 1u);
    BOOST_TEST(files.stats().hits == 10u);
    BOOST_TEST(files.stats().entries == 1u);
}

BOOST_AUTO_TEST_CASE(a_rewritten_file_is_read_again)
{
    write(sid_a, session_json(2));
    auto files = cache();
    BOOST_TEST(uid_of(files.find(sid_a)) == 2);
    write(sid_a, session_json(3)); // renamed over: a new inode, same size
    BOOST_TEST(uid_of(files.find(sid_a)) == 3);
    // Rewritten in place, same size, then dated back: only the mtime and ctime tell.
    lp::test::write_bytes(path_of(sid_a), session_json(4));
    fs::last_write_time(path_of(sid_a), fs::file_time_type::clock::now() - 1h);
    BOOST_TEST(uid_of(files.find(sid_a)) == 4);
    lp::test::write_bytes(path_of(sid_a), session_json(56)); // a new size
    BOOST_TEST(uid_of(files.find(sid_a)) == 56);
    BOOST_TEST(files.stats().reads == 4u);
    BOOST_TEST(files.stats().hits == 0u);
}

BOOST_AUTO_TEST_CASE(a_deleted_file_is_refused_at_once)
{
    write(sid_a, session_json(2));
    auto files = cache();
    auto const held = files.find(sid_a);
    BOOST_TEST(uid_of(files.find(sid_a)) == 2);
    fs::remove(path_of(sid_a)); // Odoo's logout
    BOOST_TEST(!files.find(sid_a));
    BOOST_TEST(files.stats().entries == 0u);
    BOOST_TEST(held->data.uid == 2); // a version being used stays valid
    write(sid_a, session_json(7));   // logged in again under the same id
    BOOST_TEST(uid_of(files.find(sid_a)) == 7);
}

BOOST_AUTO_TEST_CASE(a_session_nobody_is_logged_in_to_is_kept_as_none)
{
    write(sid_a, R"({"db":"odoo","uid":null})");
    auto files = cache();
    BOOST_TEST(!files.find(sid_a));
    BOOST_TEST(!files.find(sid_a));
    BOOST_TEST(files.stats().reads == 1u);
    BOOST_TEST(files.stats().hits == 1u);
    write(sid_a, session_json(2)); // the login
    BOOST_TEST(uid_of(files.find(sid_a)) == 2);
}

BOOST_AUTO_TEST_CASE(the_new_layout_comes_before_the_old_one)
{
    lp::test::write_bytes(sessions / ("werkzeug_" + sid_a + ".sess"), session_json(5));
    auto files = cache();
    BOOST_TEST(uid_of(files.find(sid_a)) == 5);
    BOOST_TEST(uid_of(files.find(sid_a)) == 5);
    write(sid_a, session_json(6));
    BOOST_TEST(uid_of(files.find(sid_a)) == 6);
    fs::remove(path_of(sid_a));
    BOOST_TEST(uid_of(files.find(sid_a)) == 5);
    BOOST_TEST(files.stats().reads == 3u);
}

BOOST_AUTO_TEST_CASE(malformed_ids_and_missing_files_are_no_session)
{
    auto files = cache();
    BOOST_TEST(!files.find("../../etc/passwd"));
    BOOST_TEST(!files.find(sid_b));
    BOOST_TEST(files.stats().entries == 0u);
    BOOST_TEST(files.stats().reads == 0u);
}

BOOST_AUTO_TEST_CASE(a_corrupt_file_throws_and_is_not_kept)
{
    write(sid_a, "{not json");
    auto files = cache();
    BOOST_CHECK_THROW(files.find(sid_a), std::invalid_argument);
    BOOST_CHECK_THROW(files.find(sid_a), std::invalid_argument);
    BOOST_TEST(files.stats().entries == 0u);
    write(sid_a, session_json(2));
    BOOST_TEST(uid_of(files.find(sid_a)) == 2);
}

BOOST_AUTO_TEST_CASE(a_file_changed_within_settle_time_is_read_every_time)
{
    write(sid_a, session_json(2));
    auto files = cache({.settle_time = 60s});
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(uid_of(files.find(sid_a)) == 2);
    BOOST_TEST(files.stats().reads == 3u);
    BOOST_TEST(files.stats().entries == 0u);
}

BOOST_AUTO_TEST_CASE(the_least_recently_used_go_past_the_cap)
{
    for (auto const& sid : {sid_a, sid_b, sid_c})
        write(sid, session_json(2));
    auto files = cache({.max_entries = 2, .settle_time = 0ms});
    files.find(sid_a);
    files.find(sid_b);
    files.find(sid_c); // a goes
    BOOST_TEST(files.stats().entries == 2u);
    BOOST_TEST(files.stats().reads == 3u);
    files.find(sid_b); // kept
    BOOST_TEST(files.stats().hits == 1u);
    files.find(sid_a); // read again; c, now the least recently used, goes
    BOOST_TEST(files.stats().reads == 4u);
    files.find(sid_b);
    BOOST_TEST(files.stats().hits == 2u);
    files.find(sid_c);
    BOOST_TEST(files.stats().reads == 5u);
    BOOST_TEST(files.stats().entries == 2u);
}

BOOST_AUTO_TEST_CASE(entries_unused_for_idle_lifetime_are_dropped)
{
    write(sid_a, session_json(2));
    write(sid_b, session_json(3));
    auto files = cache({.idle_lifetime = 0ms, .settle_time = 0ms});
    files.find(sid_a);
    files.find(sid_b); // a, unused since, is dropped first
    BOOST_TEST(files.stats().entries == 1u);
    files.find(sid_b); // so is b now: read again
    BOOST_TEST(files.stats().reads == 3u);
    BOOST_TEST(files.stats().hits == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
