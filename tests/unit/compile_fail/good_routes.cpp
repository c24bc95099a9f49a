// The correctly spelled twins of the compile_fail cases: this file must compile.
#include "routes/route.hpp"

LONGPOLLING_ROUTE(with_slash, "/varroute/<var1>", lp::mode::json, lp::public_route)
{
    co_return nullptr;
}

static boost::asio::awaitable<lp::http_reply> page(lp::request&)
{
    co_return lp::http_reply("<p>hi</p>");
}
LONGPOLLING_ADD_ROUTE(page, "/page", lp::mode::http, lp::public_route);

// Options, in either macro.
LONGPOLLING_ROUTE(with_options, "/with_options", lp::mode::json, lp::public_route, lp::route_option::at_root,
                  lp::route_option::cors, lp::route_option::answering_at_timeout(boost::json::array{}))
{
    co_return nullptr;
}
LONGPOLLING_ADD_ROUTE(page, "/page_cors", lp::mode::http, lp::public_route, lp::route_option::cors);
