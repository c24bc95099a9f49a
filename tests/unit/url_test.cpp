#include "routes/url.hpp"

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(url)

BOOST_AUTO_TEST_CASE(decodes_escapes_and_plus)
{
    BOOST_TEST(*lp::url_decode("a%20b+c", true) == "a b c");
    BOOST_TEST(*lp::url_decode("a%20b+c", false) == "a b+c");
    BOOST_TEST(*lp::url_decode("%C3%A9", false) == "\xC3\xA9");
    BOOST_TEST(!lp::url_decode("%2", false).has_value());
    BOOST_TEST(!lp::url_decode("%g0", false).has_value());
    BOOST_TEST(!lp::url_decode("abc%", false).has_value());
}

BOOST_AUTO_TEST_CASE(parses_query_pairs_in_order)
{
    auto pairs = lp::parse_query("session_id=abc&data=%7B%22a%22%3A1%7D&flag&&x=1%2B1");
    BOOST_REQUIRE(pairs);
    BOOST_TEST(pairs->size() == 4u);
    BOOST_TEST((*pairs)[0].first == "session_id");
    BOOST_TEST((*pairs)[1].second == R"({"a":1})");
    BOOST_TEST((*pairs)[2].first == "flag");
    BOOST_TEST((*pairs)[2].second == "");
    BOOST_TEST((*pairs)[3].second == "1+1");
    BOOST_TEST(!lp::parse_query("a=%").has_value());
}

BOOST_AUTO_TEST_CASE(finds_cookies)
{
    BOOST_TEST(*lp::find_cookie("a=1; session_id=xyz; b=2", "session_id") == "xyz");
    BOOST_TEST(*lp::find_cookie("session_id=\"q\"", "session_id") == "q");
    BOOST_TEST(!lp::find_cookie("xsession_id=1", "session_id").has_value());
    BOOST_TEST(!lp::find_cookie("", "session_id").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
