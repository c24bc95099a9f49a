#include "routes/path_pattern.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace json = boost::json;

// The same rules run at compile time: these lines are themselves tests.
static_assert(lp::route_path_error("/varroute/<var1>/<var2>").empty());
static_assert(lp::route_path_error("/order/<int:id>").empty());
static_assert(lp::route_path_error("/").empty());
static_assert(!lp::route_path_error("varroute").empty());
static_assert(!lp::route_path_error("/a/<float:x>").empty());

BOOST_AUTO_TEST_SUITE(path_pattern)

BOOST_AUTO_TEST_CASE(rejects_bad_paths_with_a_reason)
{
    BOOST_TEST(lp::route_path_error("") == "a route path must start with '/'");
    BOOST_TEST(lp::route_path_error("x/y") == "a route path must start with '/'");
    BOOST_TEST(!lp::route_path_error("/a//b").empty());
    BOOST_TEST(!lp::route_path_error("/a?b").empty());
    BOOST_TEST(!lp::route_path_error("/a/x<b>").empty());
    BOOST_TEST(!lp::route_path_error("/a/<b").empty());
    BOOST_TEST(!lp::route_path_error("/a/<>").empty());
    BOOST_TEST(!lp::route_path_error("/a/<1x>").empty());
    BOOST_TEST(!lp::route_path_error("/a/<x>/<int:x>").empty());
    BOOST_TEST(!lp::route_path_error("/a/<path:p>/b").empty());
    BOOST_CHECK_THROW(lp::path_pattern("nope"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(matches_literals_exactly)
{
    lp::path_pattern p("/openerplongpolling/mainroute");
    BOOST_TEST(p.is_static());
    BOOST_TEST(p.match("/openerplongpolling/mainroute").has_value());
    BOOST_TEST(!p.match("/openerplongpolling/mainroute/").has_value());
    BOOST_TEST(!p.match("/openerplongpolling/main").has_value());
    BOOST_TEST(!p.match("/openerplongpolling").has_value());
    BOOST_TEST(!p.match("").has_value());
}

BOOST_AUTO_TEST_CASE(extracts_string_and_int_variables)
{
    lp::path_pattern p("/x/varroute/<var1>/<int:id>");
    BOOST_TEST(!p.is_static());
    auto vars = p.match("/x/varroute/hello%20world/42");
    BOOST_REQUIRE(vars);
    BOOST_TEST(json::serialize(*vars) == R"({"var1":"hello world","id":42})");
    BOOST_TEST(!p.match("/x/varroute/hello/-1").has_value());
    BOOST_TEST(!p.match("/x/varroute/hello/4x").has_value());
    BOOST_TEST(!p.match("/x/varroute/hello/99999999999999999999").has_value());
    BOOST_TEST(!p.match("/x/varroute//42").has_value());
    BOOST_TEST(!p.match("/x/varroute/hello/42/more").has_value());
    BOOST_TEST(!p.match("/x/varroute/%zz/42").has_value());
}

BOOST_AUTO_TEST_CASE(path_variable_takes_the_rest)
{
    lp::path_pattern p("/static/<path:file>");
    auto vars = p.match("/static/js/bus.js");
    BOOST_REQUIRE(vars);
    BOOST_TEST(vars->at("file").as_string() == "js/bus.js");
    BOOST_TEST(!p.match("/static/").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
