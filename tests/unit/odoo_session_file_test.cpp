#include <boost/test/unit_test.hpp>

#include "orm_bridge/odoo_session_file.hpp"
#include "tests/support/python.hpp"

#include <boost/json.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace {

// Session ids, one per file python3 writes (see the script).
std::string const sid_new = "ab0123456789abcdef0123456789abcdef012345";
std::string const sid_old = "cd0123456789abcdef0123456789abcdef012345";
std::string const sid_84 = "Xy_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-_-_-_-";
std::string const sid_both = "ef0123456789abcdef0123456789abcdef012345";
std::string const sid_anonymous = "000123456789abcdef0123456789abcdef012345";
std::string const sid_uid_false = "110123456789abcdef0123456789abcdef012345";
std::string const sid_uid_missing = "220123456789abcdef0123456789abcdef012345";
std::string const sid_uid_zero = "330123456789abcdef0123456789abcdef012345";
std::string const sid_corrupt = "440123456789abcdef0123456789abcdef012345";
std::string const sid_datetime = "550123456789abcdef0123456789abcdef012345";
std::string const sid_text = "660123456789abcdef0123456789abcdef012345";
std::string const sid_too_big = "770123456789abcdef0123456789abcdef012345";
std::string const sid_upper = "AB0123456789ABCDEF0123456789ABCDEF012345";
std::string const sid_mixed_keys = "880123456789abcdef0123456789abcdef012345";
std::string const sid_absent = "990123456789abcdef0123456789abcdef012345";

// Writes the session files the way Odoo does: pickle.dump(dict(session), f, HIGHEST_PROTOCOL)
// in <sessions>/<sid[:2]>/<sid>; OpenERP 7 / Odoo 8 wrote protocol 2 into werkzeug_<sid>.sess.
constexpr char const* writer = R"PY(
import datetime, json, os, pickle, sys
data_dir = sys.argv[1]
(sid_new, sid_old, sid_84, sid_both, sid_anonymous, sid_uid_false, sid_uid_missing, sid_uid_zero,
 sid_corrupt, sid_datetime, sid_text, sid_too_big, sid_upper, sid_mixed_keys) = sys.argv[2:]
sessions = os.path.join(data_dir, 'sessions')

def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)

def new_layout(sid, session, protocol=pickle.HIGHEST_PROTOCOL):
    write(os.path.join(sessions, sid[:2], sid), pickle.dumps(session, protocol))

def old_layout(sid, session):
    write(os.path.join(sessions, 'werkzeug_%s.sess' % sid), pickle.dumps(session, 2))

logged_in = {
    'db': 'odoo_prod', 'uid': 2, 'login': 'admin', 'session_token': 'f00d' * 16,
    'context': {'lang': 'en_US', 'tz': 'Europe/Brussels', 'uid': 2},
    'debug': '', 'pre_login': 'admin', 'pre_uid': 2, 'create_time': 1700000000.5,
}
new_layout(sid_new, logged_in)
old_layout(sid_old, {'_db': 'legacy', '_uid': 5, '_login': 'demo', 'context': {'lang': 'fr_FR'}})
write(os.path.join(sessions, sid_84[:2], sid_84),
      json.dumps(dict(logged_in, uid=7, login='zo\u00eb')).encode())
new_layout(sid_both, dict(logged_in, uid=11))
old_layout(sid_both, dict(logged_in, uid=12))
new_layout(sid_anonymous, {'db': 'odoo_prod', 'uid': None, 'login': None, 'context': {}, 'debug': ''})
new_layout(sid_uid_false, {'db': 'odoo_prod', 'uid': False, 'context': {}})
new_layout(sid_uid_missing, {'db': 'odoo_prod', 'context': {}})
new_layout(sid_uid_zero, {'db': 'odoo_prod', 'uid': 0, 'context': {}})
write(os.path.join(sessions, sid_corrupt[:2], sid_corrupt), b'\x80\x04garbage')
new_layout(sid_datetime, dict(logged_in, create_time=datetime.datetime(2024, 1, 1)))
write(os.path.join(sessions, sid_text[:2], sid_text), b'hello')
new_layout(sid_too_big, dict(logged_in, debug='x' * (1 << 20)))
new_layout(sid_upper, logged_in)
new_layout(sid_mixed_keys, {'db': 'new', '_db': 'old', 'uid': None, '_uid': 6, 'login': 'x',
                            '_login': 'y', 'session_token': None})
# Reachable only by path traversal from the sessions directory.
write(os.path.join(data_dir, 'evil'), pickle.dumps(logged_in, 4))
)PY";

struct data_directory {
    data_directory()
    {
        lp::test::run_python(writer, {directory.path().string(), sid_new, sid_old, sid_84, sid_both,
                                      sid_anonymous, sid_uid_false, sid_uid_missing, sid_uid_zero, sid_corrupt,
                                      sid_datetime, sid_text, sid_too_big, sid_upper, sid_mixed_keys});
    }
    std::filesystem::path sessions() const { return directory.path() / "sessions"; }

    lp::test::temp_directory directory;
};

std::filesystem::path sessions()
{
    static data_directory const d;
    return d.sessions();
}

std::optional<lp::orm::odoo_session_data> load(std::string const& sid)
{
    return lp::orm::load_session_file(sessions(), sid);
}

} // namespace

BOOST_AUTO_TEST_SUITE(odoo_session_file)

BOOST_AUTO_TEST_CASE(session_ids)
{
    BOOST_TEST(lp::orm::is_valid_session_id(sid_new));
    BOOST_TEST(lp::orm::is_valid_session_id(sid_84));
    BOOST_TEST(sid_84.size() == 84u);
    BOOST_TEST(!lp::orm::is_valid_session_id(""));
    BOOST_TEST(!lp::orm::is_valid_session_id("../etc/passwd"));
    BOOST_TEST(!lp::orm::is_valid_session_id(sid_new.substr(0, 39)));
    BOOST_TEST(!lp::orm::is_valid_session_id(sid_new + "0"));
    // werkzeug's own check is ^[a-f0-9]{40}$: uppercase hex is refused, as there.
    BOOST_TEST(!lp::orm::is_valid_session_id(sid_upper));
    BOOST_TEST(!lp::orm::is_valid_session_id("g" + sid_new.substr(1)));
    // 84 characters, but with a path separator or a dot.
    BOOST_TEST(!lp::orm::is_valid_session_id("../" + sid_84.substr(3)));
    BOOST_TEST(!lp::orm::is_valid_session_id(sid_84.substr(0, 83) + "/"));
    BOOST_TEST(!lp::orm::is_valid_session_id(sid_84.substr(0, 83) + "."));
    BOOST_TEST(!lp::orm::is_valid_session_id(sid_84.substr(0, 83)));
    BOOST_TEST(!lp::orm::is_valid_session_id(std::string("ab0123456789abcdef0123456789abcdef01234\0", 40)));
}

BOOST_AUTO_TEST_CASE(candidates_new_layout_first)
{
    std::filesystem::path const dir = "/var/lib/odoo/sessions";
    auto const paths = lp::orm::session_file_candidates(dir, sid_new);
    BOOST_TEST_REQUIRE(paths.size() == 2u);
    BOOST_TEST(paths[0] == dir / "ab" / sid_new);
    BOOST_TEST(paths[1] == dir / ("werkzeug_" + sid_new + ".sess"));
    BOOST_TEST(lp::orm::session_file_candidates(dir, sid_84)[0] == dir / "Xy" / sid_84);
    BOOST_TEST(lp::orm::session_file_candidates(dir, "../evil").empty());
}

BOOST_AUTO_TEST_CASE(loads_a_pickled_session_in_the_new_layout)
{
    auto const s = load(sid_new);
    BOOST_TEST_REQUIRE(s.has_value());
    BOOST_TEST(s->db == "odoo_prod");
    BOOST_TEST(s->uid == 2);
    BOOST_TEST(s->login == "admin");
    std::string expected_token;
    for (int i = 0; i < 16; ++i)
        expected_token += "f00d";
    BOOST_TEST(s->session_token.value_or("none") == expected_token);
    BOOST_TEST(s->context == boost::json::parse(R"({"lang": "en_US", "tz": "Europe/Brussels", "uid": 2})"));
}

BOOST_AUTO_TEST_CASE(loads_an_openerp_session_in_the_werkzeug_layout)
{
    auto const s = load(sid_old);
    BOOST_TEST_REQUIRE(s.has_value());
    BOOST_TEST(s->db == "legacy");
    BOOST_TEST(s->uid == 5);
    BOOST_TEST(s->login == "demo");
    BOOST_TEST(!s->session_token.has_value());
    BOOST_TEST(s->context == boost::json::parse(R"({"lang": "fr_FR"})"));
}

BOOST_AUTO_TEST_CASE(loads_a_json_session_with_a_long_id)
{
    auto const s = load(sid_84);
    BOOST_TEST_REQUIRE(s.has_value());
    BOOST_TEST(s->uid == 7);
    BOOST_TEST(s->login == "zo\u00eb");
    BOOST_TEST(s->context.at("tz") == "Europe/Brussels");
}

BOOST_AUTO_TEST_CASE(the_new_layout_wins_when_both_exist)
{
    auto const s = load(sid_both);
    BOOST_TEST_REQUIRE(s.has_value());
    BOOST_TEST(s->uid == 11);
}

BOOST_AUTO_TEST_CASE(primary_keys_win_and_unset_ones_fall_back)
{
    auto const s = load(sid_mixed_keys);
    BOOST_TEST_REQUIRE(s.has_value());
    BOOST_TEST(s->db == "new");
    BOOST_TEST(s->uid == 6); // uid is None: _uid is used
    BOOST_TEST(s->login == "x");
    BOOST_TEST(!s->session_token.has_value());
}

BOOST_AUTO_TEST_CASE(no_session_without_a_logged_in_uid)
{
    BOOST_TEST(!load(sid_anonymous).has_value());
    BOOST_TEST(!load(sid_uid_false).has_value());
    BOOST_TEST(!load(sid_uid_missing).has_value());
    BOOST_TEST(!load(sid_uid_zero).has_value());
    // The file does parse: it is the missing uid that makes it no session.
    auto const anonymous = lp::orm::parse_session_file(
        lp::test::read_bytes(sessions() / sid_anonymous.substr(0, 2) / sid_anonymous));
    BOOST_TEST(anonymous.db == "odoo_prod");
    BOOST_TEST(anonymous.uid == 0);
    BOOST_TEST(anonymous.login == "");
}

BOOST_AUTO_TEST_CASE(malformed_or_unknown_ids_are_no_session)
{
    BOOST_TEST(!load(sid_absent).has_value());
    BOOST_TEST(!load("../evil").has_value());
    BOOST_TEST(!load("../../evil").has_value());
    BOOST_TEST(!load(sid_new.substr(0, 39)).has_value());
    // The file exists under this name, but the id is refused before any path is built.
    BOOST_TEST(std::filesystem::exists(sessions() / "AB" / sid_upper));
    BOOST_TEST(!load(sid_upper).has_value());
    BOOST_TEST(std::filesystem::exists(sessions().parent_path() / "evil"));
    BOOST_TEST(!lp::orm::load_session_file("/nonexistent/sessions", sid_new).has_value());
}

BOOST_AUTO_TEST_CASE(unreadable_files_are_errors)
{
    BOOST_CHECK_THROW(load(sid_corrupt), std::invalid_argument);
    BOOST_CHECK_THROW(load(sid_datetime), std::invalid_argument);
    BOOST_CHECK_THROW(load(sid_text), std::invalid_argument);
    BOOST_TEST(std::filesystem::file_size(sessions() / "77" / sid_too_big) > lp::orm::max_session_file_size);
    BOOST_CHECK_EXCEPTION(load(sid_too_big), std::invalid_argument, [](std::invalid_argument const& e) {
        return std::string(e.what()).find("larger than") != std::string::npos;
    });
}

BOOST_AUTO_TEST_CASE(parses_json_and_checks_types)
{
    auto const s = lp::orm::parse_session_file(
        R"({"db": "d", "uid": 4, "login": "l", "session_token": "t", "context": {"a": [1]}, "other": 1.5})");
    BOOST_TEST(s.db == "d");
    BOOST_TEST(s.uid == 4);
    BOOST_TEST(s.login == "l");
    BOOST_TEST(s.session_token.value_or("") == "t");
    BOOST_TEST(s.context == boost::json::parse(R"({"a": [1]})"));

    BOOST_CHECK_THROW(lp::orm::parse_session_file(R"({"uid": "4"})"), std::invalid_argument);
    BOOST_CHECK_THROW(lp::orm::parse_session_file(R"({"uid": 4.0})"), std::invalid_argument);
    BOOST_CHECK_THROW(lp::orm::parse_session_file(R"({"uid": true})"), std::invalid_argument);
    BOOST_CHECK_THROW(lp::orm::parse_session_file(R"({"uid": 18446744073709551615})"), std::invalid_argument);
    BOOST_CHECK_THROW(lp::orm::parse_session_file(R"({"uid": 1, "db": 3})"), std::invalid_argument);
    BOOST_CHECK_THROW(lp::orm::parse_session_file(R"({"uid": 1, "context": []})"), std::invalid_argument);
    BOOST_CHECK_THROW(lp::orm::parse_session_file(R"({"uid": 1, "session_token": 5})"), std::invalid_argument);
    BOOST_CHECK_THROW(lp::orm::parse_session_file(R"({"uid": 1)"), std::invalid_argument);
    BOOST_CHECK_THROW(lp::orm::parse_session_file(R"({"uid": 1} trailing)"), std::invalid_argument);
    BOOST_CHECK_THROW(lp::orm::parse_session_file("[1]"), std::invalid_argument);
    BOOST_CHECK_THROW(lp::orm::parse_session_file(""), std::invalid_argument);
    // A pickle whose top level is not a dict.
    BOOST_CHECK_THROW(lp::orm::parse_session_file("\x80\x04]."), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(odoo_18_deletion_time_and_the_websocket_mark)
{
    auto const marked = lp::orm::parse_session_file(
        R"({"db":"d","uid":2,"deletion_time":1700000000.25,"is_websocket_session":true})");
    BOOST_TEST(marked.deletion_time.value() == 1700000000.25);
    BOOST_TEST(marked.is_websocket_session);
    auto const plain = lp::orm::parse_session_file(R"({"db":"d","uid":2,"deletion_time":null})");
    BOOST_TEST(!plain.deletion_time.has_value());
    BOOST_TEST(!plain.is_websocket_session);
    BOOST_TEST(lp::orm::parse_session_file(R"({"uid":2,"deletion_time":1700000000})").deletion_time.value() == 1700000000.0);
    BOOST_CHECK_THROW(lp::orm::parse_session_file(R"({"uid":2,"deletion_time":"soon"})"), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
