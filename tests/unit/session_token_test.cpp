#include <boost/test/unit_test.hpp>

#include "orm_bridge/session_token.hpp"
#include "tests/support/python.hpp"

#include <boost/json.hpp>

#include <string>
#include <vector>

namespace {

// Odoo 12-17's res.users._compute_session_token, fed each row of the input file.
constexpr char const* oracle = R"PY(
import hashlib, hmac, json, sys
with open(sys.argv[1], encoding='utf-8') as f:
    cases = json.load(f)
out = []
for case in cases:
    r = case['row']
    row = (r['active'], r['id'], r['login'], r['password'], r['secret'])
    key = ('%s' % (row,)).encode('utf-8')
    out.append(hmac.new(key, case['sid'].encode('utf-8'), hashlib.sha256).hexdigest())
print(json.dumps(out))
)PY";

struct token_case {
    std::string sid;
    lp::orm::session_token_fields row;
};

std::string const secret = "6f1c0e52-5d6f-4a8e-9d0c-1e2f3a4b5c6d";
std::string const sid40 = "0123456789abcdef0123456789abcdef01234567";
std::string const sid84 = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefgh";

std::vector<token_case> const cases{
    {sid40, {true, 2, "admin", "$pbkdf2-sha512$600000$c2FsdA$aGFzaA", secret}},
    {sid40, {true, 7, "portal@example.com", std::nullopt, secret}},
    {sid40, {false, 7, "portal@example.com", std::nullopt, secret}},
    {sid84, {true, 9, "o'brien", "it's \"quoted\" \\ back", secret}},
    {sid84, {true, 1099511627776, "zo\u00eb@\u65e5\u672c.jp", "p\u00e4ss\nword\t\u00a0", secret}},
    {sid40, {true, 3, "", "", ""}},
};

std::vector<std::string> python_tokens()
{
    boost::json::array input;
    for (auto const& c : cases) {
        boost::json::object row{{"active", c.row.active}, {"id", c.row.id}, {"login", c.row.login},
                                {"password", nullptr}, {"secret", c.row.database_secret}};
        if (c.row.password)
            row["password"] = *c.row.password;
        input.push_back(boost::json::object{{"sid", c.sid}, {"row", row}});
    }
    lp::test::temp_directory directory;
    auto const path = directory.path() / "cases.json";
    lp::test::write_bytes(path, boost::json::serialize(input));
    std::vector<std::string> tokens;
    auto const answer = boost::json::parse(lp::test::run_python(oracle, {path.string()}));
    for (auto const& t : answer.as_array())
        tokens.emplace_back(t.as_string());
    return tokens;
}

} // namespace

BOOST_AUTO_TEST_SUITE(session_token)

BOOST_AUTO_TEST_CASE(matches_odoo_computed_by_python)
{
    auto const expected = python_tokens();
    BOOST_TEST_REQUIRE(expected.size() == cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
        auto const token = lp::orm::compute_session_token(cases[i].sid, cases[i].row);
        BOOST_TEST_CONTEXT("case " << i)
        {
            BOOST_TEST(token == expected[i]);
            BOOST_TEST(token.size() == 64u);
        }
    }
}

BOOST_AUTO_TEST_CASE(every_field_changes_the_token)
{
    auto const base = cases[0];
    auto const token = lp::orm::compute_session_token(base.sid, base.row);
    auto changed = [&](auto change) {
        auto row = base.row;
        change(row);
        return lp::orm::compute_session_token(base.sid, row);
    };
    BOOST_TEST(changed([](auto& r) { r.active = false; }) != token);
    BOOST_TEST(changed([](auto& r) { r.id = 3; }) != token);
    BOOST_TEST(changed([](auto& r) { r.login = "admin2"; }) != token);
    BOOST_TEST(changed([](auto& r) { r.password = std::nullopt; }) != token);
    BOOST_TEST(changed([](auto& r) { r.database_secret = "other"; }) != token);
    BOOST_TEST(lp::orm::compute_session_token(sid84, base.row) != token);
}

BOOST_AUTO_TEST_CASE(refuses_non_utf8_fields)
{
    auto row = cases[0].row;
    row.login = "\xff";
    BOOST_CHECK_THROW(lp::orm::compute_session_token(sid40, row), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(tokens_equal_compares_whole_strings)
{
    std::string const a(64, 'a');
    BOOST_TEST(lp::orm::tokens_equal(a, std::string(64, 'a')));
    BOOST_TEST(lp::orm::tokens_equal("", ""));
    auto last = a;
    last.back() = 'b';
    auto first = a;
    first.front() = 'b';
    BOOST_TEST(!lp::orm::tokens_equal(a, last));
    BOOST_TEST(!lp::orm::tokens_equal(a, first));
    BOOST_TEST(!lp::orm::tokens_equal(a, a.substr(0, 63)));
    BOOST_TEST(!lp::orm::tokens_equal(a, a + "a"));
    BOOST_TEST(!lp::orm::tokens_equal(a, ""));
}

BOOST_AUTO_TEST_SUITE_END()
