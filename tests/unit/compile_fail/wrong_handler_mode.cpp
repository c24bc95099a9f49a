// Must NOT compile: an http-mode handler registered as a json route.
#include "routes/route.hpp"

static boost::asio::awaitable<lp::http_reply> page(lp::request&)
{
    co_return lp::http_reply("<p>hi</p>");
}
LONGPOLLING_ADD_ROUTE(page, "/page", lp::mode::json, lp::public_route);
