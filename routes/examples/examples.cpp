// Example routes: the "how to write a route handler" tutorial of README.md, served by
// `scripts/run`. Each shows one thing: path variables and stacked routes (json), a page
// (http), a cooperative wait, and a route that needs a logged-in Odoo session.
#include "routes/route.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>

namespace {

namespace json = boost::json;

// The seed's example: one handler, three paths. In json mode the parameters come from the
// path, from `?data=<json object>` (the original client) or from JSON-RPC `params`.
LONGPOLLING_ROUTE(myfunction, "/varroute/<var1>/<int:var2>", lp::mode::json, lp::public_route)
{
    json::object reply;
    reply["route"] = request.path();
    reply["var1"] = request.param<std::string>("var1", "");
    if (request.has_param("var2"))
        reply["var2"] = request.param<std::int64_t>("var2");
    reply["params"] = request.params();
    co_return reply;
}
LONGPOLLING_ADD_ROUTE(myfunction, "/mainroute", lp::mode::json, lp::public_route);
LONGPOLLING_ADD_ROUTE(myfunction, "/otherroute", lp::mode::json, lp::public_route);

// http mode: query-string or form parameters in, a page out.
LONGPOLLING_ROUTE(hello, "/hello", lp::mode::http, lp::public_route)
{
    auto name = request.param<std::string>("name", "world");
    std::string escaped;
    for (char c : name) {
        switch (c) {
        case '<': escaped += "&lt;"; break;
        case '>': escaped += "&gt;"; break;
        case '&': escaped += "&amp;"; break;
        case '"': escaped += "&quot;"; break;
        default: escaped += c;
        }
    }
    co_return lp::http_reply("<!doctype html><title>hello</title><h1>Hello, " + escaped + "!</h1>\n");
}

// A handler that waits without blocking anyone: it answers after `seconds`, or gets a 408
// when that is past longpolling_timeout (request.timeout(), the seed's get_timeout()).
LONGPOLLING_ROUTE(countdown, "/countdown/<int:seconds>", lp::mode::json, lp::public_route)
{
    auto const seconds = request.param<std::int64_t>("seconds");
    auto const started = std::chrono::steady_clock::now();
    // Past the deadline the wait ends with 408 anyway; capping it also keeps a huge number
    // (9300000000 s) from overflowing the clock's nanoseconds.
    auto const longest = std::chrono::duration_cast<std::chrono::seconds>(request.timeout()).count() + 1;
    co_await lp::sleep_for(std::chrono::seconds(std::min<std::int64_t>(seconds, longest)));
    auto const waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    co_return json::object{
        {"seconds", seconds},
        {"waited_ms", waited.count()},
        {"timeout", std::chrono::duration_cast<std::chrono::seconds>(request.timeout()).count()},
        {"server_time", static_cast<std::int64_t>(std::time(nullptr))},
    };
}

// Needs a logged-in Odoo session: 401 without one.
LONGPOLLING_ROUTE(whoami, "/whoami", lp::mode::json, lp::must_be_authenticated)
{
    co_return json::object{{"uid", request.uid()}, {"db", request.db()}, {"context", request.context()}};
}

// The seed's ORM example: read the logged-in user through a pooled, read-only cursor.
// Answers [{"id":2,"login":"admin","partner_id":[2,"Administrator"]}].
LONGPOLLING_ROUTE(partner_of_user, "/partner_of_user", lp::mode::json, lp::must_be_authenticated)
{
    auto users = request.model("res.users");
    // g++ 12: a braced list inside a co_await expression does not compile ("array used as
    // initializer"); name it first.
    json::array const fields{"login", "partner_id"};
    auto rows = co_await users.read(request.uid(), fields);
    co_return rows;
}

// search_read with an Odoo domain from the client, e.g.
//   ?data={"domain":[["name","ilike","demo"]],"limit":5}
// A malformed domain, an unknown field or a value of the wrong type is a 400 naming it.
LONGPOLLING_ROUTE(partners, "/partners", lp::mode::json, lp::must_be_authenticated)
{
    auto partners = request.model("res.partner");
    auto domain = request.param<json::value>("domain", json::array{});
    json::array const fields{"name", "email"};
    auto rows = co_await partners.search_read(domain, fields, 0, request.param<std::int64_t>("limit", 80),
                                              request.param<std::string>("order", "name"));
    co_return rows;
}

} // namespace
