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
