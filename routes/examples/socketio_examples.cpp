// Example Socket.IO namespace /examples (served with the example routes, scripts/run):
//   echo      acks with exactly the arguments it got
//   whoami    acks with the Odoo session's uid, or false
//   my_login  acks with the session user's login, read through model() with their rights
#include "routes/socketio/namespace.hpp"

#include <boost/json/array.hpp>

namespace {
namespace json = boost::json;
using lp::socketio::event;

LONGPOLLING_NAMESPACE(examples_namespace, "/examples")
{
    ns.on("echo", [](event& e) -> boost::asio::awaitable<json::array> { co_return e.args(); });
    ns.on("whoami", [](event& e) -> boost::asio::awaitable<json::array> {
        co_return json::array{e.authenticated() ? json::value(e.uid()) : json::value(false)};
    });
    ns.on("my_login", [](event& e) -> boost::asio::awaitable<json::array> {
        auto users = e.model("res.users");
        json::array const fields{"login"};
        auto rows = co_await users.read(e.uid(), fields);
        co_return json::array{rows.empty() ? json::value(nullptr) : rows.front().at("login")};
    });
}

} // namespace
