// Example Socket.IO namespace /examples (served with the example routes, scripts/run):
//   echo      acks with exactly the arguments it got
//   whoami    acks with the Odoo session's uid, or false
//   my_login  acks with the session user's login, read through model() with their rights
//   wait_news listens to the "examples_news" adapter, emits "news" with the messages through
//             secure_emit, and acks whether the client acknowledged them (then consumed)
//   publish_news [values] notifies the adapter's channel (a logged-in user only)
//   broadcast    re-emits "broadcast" with its arguments to every other socket of /examples
//                (what lp-sio-bench times against the reference Node server)
#include "routes/socketio/namespace.hpp"

#include <boost/json/array.hpp>

namespace {
namespace json = boost::json;
using lp::socketio::event;

/// Takes every message of its channel; emits their values.
json::array all_messages(json::array const& messages, json::array const&) { return messages; }
json::value their_values(json::array const& messages)
{
    json::array values;
    for (auto const& m : messages)
        values.push_back(m.at("values"));
    return values;
}
constexpr lp::socketio::adapter news{"examples_news", &all_messages, &their_values};

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
    ns.on("wait_news", [](event& e) -> boost::asio::awaitable<json::array> {
        auto const taken = co_await e.listen(news);
        if (taken.empty())
            co_return json::array{false}; // the client left, or nothing came in time
        // g++ 12: no temporary with a destructor inside a co_await expression; name it first.
        auto formatted = news.format(taken);
        auto const acknowledged = co_await e.secure_emit("news", std::move(formatted));
        co_return json::array{acknowledged};
    });
    ns.on("publish_news", [](event& e) -> boost::asio::awaitable<json::array> {
        e.uid(); // a logged-in user only
        auto values = e.args().empty() ? json::value(nullptr) : e.args().front();
        co_await e.notify(news.channel, std::move(values));
        co_return json::array{true};
    });
    ns.on("broadcast", [](event& e) -> boost::asio::awaitable<json::array> {
        e.socket().broadcast("broadcast", {e.args(), e.attachments()});
        co_return json::array{};
    });
}

} // namespace
