#include "routes/route_table.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace {
using defs = std::vector<lp::route_definition>;

boost::asio::awaitable<boost::json::value> handler(lp::request&) { co_return nullptr; }

/// A definition with a path known only at run time (the macros take literals only).
lp::route_definition def(std::string_view name, std::string_view path)
{
    auto d = lp::make_route<lp::mode::json>(name, "/", false, &handler);
    d.path = path;
    return d;
}

std::string error_of(std::vector<lp::route_definition> const& defs, std::string_view prefix)
{
    try {
        lp::route_table table(defs, prefix);
    }
    catch (std::invalid_argument const& e) {
        return e.what();
    }
    return "accepted";
}
} // namespace

BOOST_AUTO_TEST_SUITE(route_table)

BOOST_AUTO_TEST_CASE(prefixes_every_path_and_logs_rules)
{
    lp::route_table table(defs{def("myfunction", "/varroute/<var1>/<var2>"), def("other", "/mainroute")},
                          "/openerplongpolling");
    BOOST_TEST(table.routes().at(0).rule() == "myfunction:/openerplongpolling/varroute/<var1>/<var2>");
    BOOST_TEST(table.routes().at(1).rule() == "other:/openerplongpolling/mainroute");
    BOOST_TEST(!table.match("/mainroute").has_value());
    auto found = table.match("/openerplongpolling/varroute/a/b");
    BOOST_REQUIRE(found);
    BOOST_TEST(found->found->handler_name == "myfunction");
    BOOST_TEST(found->variables.at("var2").as_string() == "b");
}

BOOST_AUTO_TEST_CASE(trailing_slash_in_the_prefix_is_ignored)
{
    lp::route_table table(defs{def("a", "/x")}, "/lp/");
    BOOST_TEST(table.match("/lp/x").has_value());
    lp::route_table root(defs{def("a", "/x")}, "/");
    BOOST_TEST(root.match("/x").has_value());
}

BOOST_AUTO_TEST_CASE(exact_paths_win_over_patterns)
{
    lp::route_table table(defs{def("pattern", "/item/<name>"), def("exact", "/item/new")}, "/p");
    BOOST_TEST(table.match("/p/item/new")->found->handler_name == "exact");
    BOOST_TEST(table.match("/p/item/other")->found->handler_name == "pattern");
    // A percent-encoded static path still finds its route.
    BOOST_TEST(table.match("/p/item/n%65w")->found->handler_name == "exact");
}

BOOST_AUTO_TEST_CASE(start_up_errors_name_the_handler)
{
    BOOST_TEST(error_of({def("sneaky", "/openerplongpolling/x")}, "/openerplongpolling")
               == "route 'sneaky': path '/openerplongpolling/x' must not contain longpolling_path "
                  "'/openerplongpolling': the registry adds it");
    BOOST_TEST(error_of({def("first", "/x"), def("second", "/x")}, "/p")
               == "route 'second': path '/p/x' is already served by 'first'");
    BOOST_TEST(error_of({def("bad", "no-slash")}, "/p").starts_with("route 'bad': "));
    BOOST_TEST(error_of({def("a", "/x")}, "relative").starts_with("longpolling_path must start with '/'"));
    BOOST_TEST(error_of({def("a", "/x")}, "/p/<v>").starts_with("longpolling_path must be a plain path"));
}

BOOST_AUTO_TEST_SUITE_END()
