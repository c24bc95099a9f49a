#include <boost/test/unit_test.hpp>

#include "orm_bridge/python_repr.hpp"
#include "tests/support/python.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// Reads {"values": [...], "tuples": [[...], ...]} and answers with python3's repr() of each
// value and str() of each tuple, plus which code points python3 finds non-printable.
constexpr char const* oracle = R"PY(
import json, sys, unicodedata
with open(sys.argv[1], encoding='utf-8') as f:
    given = json.load(f)

def ranges(codes, keep):
    out, start, last = [], None, None
    for c in codes:
        if keep(c):
            if start is None:
                start = c
            last = c
        elif start is not None:
            out.append([start, last])
            start = None
    if start is not None:
        out.append([start, last])
    return out

# Planes 4-13 hold nothing assigned; the test skips them.
codes = list(range(0, 0x40000)) + list(range(0xE0000, 0x110000))
category = lambda c: unicodedata.category(chr(c))
print(json.dumps({
    'reprs': [repr(v) for v in given['values']],
    'tuples': [str(tuple(t)) for t in given['tuples']],
    'unicode_version': unicodedata.unidata_version,
    'non_printable_assigned': ranges(codes, lambda c: not chr(c).isprintable() and category(c) != 'Cn'),
    'unassigned': ranges(codes, lambda c: category(c) == 'Cn'),
}))
)PY";

std::string utf8_of(char32_t cp)
{
    std::string out;
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
    return out;
}

boost::json::array const test_values{
    "",
    "admin",
    "it's",
    "say \"hi\"",
    "both ' and \"",
    "back\\slash \\' \\\"",
    "a\nb\rc\td",
    "\x01\x1f\x7f escape",
    std::string("nul\0inside", 10),
    "\u00e9t\u00e9",
    "\u65e5\u672c",
    "no\u00a0break",
    "soft\u00adhyphen",
    "\u0085\u009f\u00a1\u00ff\u0100",
    "\U0001F600 emoji",
    "zero\u200bwidth \u2028 \u2029 \ufeff \u3000",
    "\ue000 private \U0010fffd \U000e0001 \u0600 \u180e",
    "Zo\u00eb's \"quote\" \\ \n \u65e5\u672c",
    nullptr,
    true,
    false,
    0,
    -1,
    2,
    std::numeric_limits<std::int64_t>::max(),
    std::numeric_limits<std::int64_t>::min(),
    std::numeric_limits<std::uint64_t>::max(),
};

boost::json::array const test_tuples{
    boost::json::array{},
    boost::json::array{"only"},
    boost::json::array{1},
    boost::json::array{nullptr},
    boost::json::array{true, 2, "admin", "$pbkdf2-sha512$600000$abc$def", "6f1c0e52-5d6f-4a8e-9d0c-1e2f3a4b5c6d"},
    boost::json::array{false, 7, "o'brien", nullptr, "secret"},
};

struct python_answers {
    python_answers()
    {
        lp::test::temp_directory directory;
        auto const input = directory.path() / "input.json";
        lp::test::write_bytes(input, boost::json::serialize(boost::json::object{{"values", test_values},
                                                                                {"tuples", test_tuples}}));
        answers = boost::json::parse(lp::test::run_python(oracle, {input.string()})).as_object();
    }
    boost::json::object answers;
};

boost::json::object const& python()
{
    static python_answers const a;
    return a.answers;
}

std::string text_of(boost::json::value const& v)
{
    return std::string(v.as_string());
}

} // namespace

BOOST_AUTO_TEST_SUITE(python_repr)

BOOST_AUTO_TEST_CASE(scalars_match_python)
{
    auto const& reprs = python().at("reprs").as_array();
    BOOST_TEST_REQUIRE(reprs.size() == test_values.size());
    for (std::size_t i = 0; i < test_values.size(); ++i)
        BOOST_TEST_CONTEXT("value " << i) BOOST_TEST(lp::orm::python_repr(test_values[i]) == text_of(reprs[i]));
}

BOOST_AUTO_TEST_CASE(known_forms)
{
    // Spelled out, so the expectations do not depend on python3 alone.
    BOOST_TEST(lp::orm::python_repr(nullptr) == "None");
    BOOST_TEST(lp::orm::python_repr(true) == "True");
    BOOST_TEST(lp::orm::python_repr(-42) == "-42");
    BOOST_TEST(lp::orm::python_string_repr("it's") == "\"it's\"");
    BOOST_TEST(lp::orm::python_string_repr("it's \"x\"") == "'it\\'s \"x\"'");
    BOOST_TEST(lp::orm::python_string_repr("a\\b\n\x01") == "'a\\\\b\\n\\x01'");
    BOOST_TEST(lp::orm::python_string_repr("\u00a0\u00e9\u2028\U000e0001") == "'\\xa0\u00e9\\u2028\\U000e0001'");
}

BOOST_AUTO_TEST_CASE(tuples_match_python)
{
    auto const& tuples = python().at("tuples").as_array();
    BOOST_TEST_REQUIRE(tuples.size() == test_tuples.size());
    for (std::size_t i = 0; i < test_tuples.size(); ++i) {
        auto const& items = test_tuples[i].as_array();
        BOOST_TEST_CONTEXT("tuple " << i)
        BOOST_TEST(lp::orm::python_tuple_repr(std::span(items.data(), items.size())) == text_of(tuples[i]));
    }
    boost::json::value const one[] = {"x"};
    BOOST_TEST(lp::orm::python_tuple_repr(one) == "('x',)");
    BOOST_TEST(lp::orm::python_tuple_repr({}) == "()");
}

BOOST_AUTO_TEST_CASE(printability_matches_python_except_scattered_unassigned_code_points)
{
    // What python3 says of each code point: 0 printable, 1 non-printable, 2 unassigned.
    std::vector<unsigned char> python_class(0x110000, 0);
    auto mark = [&](char const* key, unsigned char value) {
        for (auto const& r : python().at(key).as_array())
            for (auto cp = r.at(0).to_number<char32_t>(); cp <= r.at(1).to_number<char32_t>(); ++cp)
                python_class[cp] = value;
    };
    mark("non_printable_assigned", 1);
    mark("unassigned", 2);

    std::size_t mismatches = 0;
    std::size_t unassigned_kept = 0;
    auto check = [&](char32_t cp) {
        if ((cp >= 0xd800 && cp <= 0xdfff) || cp == U'\'' || cp == U'\\')
            return; // surrogates are not UTF-8; quote and backslash are escaped, not unprintable
        auto const utf8 = utf8_of(cp);
        bool const kept = lp::orm::python_string_repr(utf8) == "'" + utf8 + "'";
        if (python_class[cp] == 2) {
            unassigned_kept += kept ? 1 : 0;
            return;
        }
        bool const python_keeps = python_class[cp] == 0;
        if (kept != python_keeps && ++mismatches <= 20)
            BOOST_ERROR("U+" << std::hex << static_cast<std::uint32_t>(cp) << ": python "
                             << (python_keeps ? "keeps" : "escapes") << " it");
    };
    for (char32_t cp = 0; cp < 0x40000; ++cp)
        check(cp);
    for (char32_t cp = 0xe0000; cp < 0x110000; ++cp)
        check(cp);
    BOOST_TEST(mismatches == 0u);
    BOOST_TEST_MESSAGE("python3 Unicode " << text_of(python().at("unicode_version")) << ": " << unassigned_kept
                                          << " unassigned code points kept literally (documented approximation)");
}

BOOST_AUTO_TEST_CASE(refuses_what_it_cannot_spell)
{
    BOOST_CHECK_THROW(lp::orm::python_repr(1.5), std::invalid_argument);
    BOOST_CHECK_THROW(lp::orm::python_repr(boost::json::array{}), std::invalid_argument);
    BOOST_CHECK_THROW(lp::orm::python_repr(boost::json::object{}), std::invalid_argument);
    BOOST_CHECK_THROW(lp::orm::python_string_repr("\xff"), std::invalid_argument);
    BOOST_CHECK_THROW(lp::orm::python_string_repr("\xc3"), std::invalid_argument);      // cut short
    BOOST_CHECK_THROW(lp::orm::python_string_repr("\xc0\xaf"), std::invalid_argument);  // overlong '/'
    BOOST_CHECK_THROW(lp::orm::python_string_repr("\xed\xa0\x80"), std::invalid_argument); // surrogate
    boost::json::value const items[] = {1, 2.5};
    BOOST_CHECK_THROW(lp::orm::python_tuple_repr(items), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
