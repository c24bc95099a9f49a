// Must NOT compile: a route path without its leading '/' (see tests/unit/CMakeLists.txt).
#include "routes/route.hpp"

LONGPOLLING_ROUTE(no_slash, "varroute/<var1>", lp::mode::json, lp::public_route)
{
    co_return nullptr;
}
