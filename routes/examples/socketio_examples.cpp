// Example Socket.IO namespace /examples (served with the example routes, scripts/run):
//   echo      acks with exactly the arguments it got
//   whoami    acks with the Odoo session's uid, or false
//   my_login  acks with the session user's login, read through model() with their rights
//   wait_news listens to the "examples_news" adapter, emits "news" with the messages through
//             secure_emit, and acks whether the client acknowledged them (then consumed)
//   publish_news [values] notifies the adapter's channel (a logged-in user only)
//   broadcast    re-emits "broadcast" with its arguments to every other socket of /examples
//                (what lp-sio-bench times against the reference Node server)
// and, on web_longpolling's /namespace (LONGPOLLING_ON, the seed's `on(event, adapter, eventtype)`):
//   welcome     (connect)    emits "welcome" with the session's uid, or false, as a socket joins
//   my_messages (on)         the seed's my_function: listens to "examples_user_news" for the
//                            messages whose values.to_id is the session's uid, emits
//                            "other signal" {"login", "messages"} through secure_emit, acks
//                            whether the client acknowledged
//   farewell    (disconnect) notifies "examples_news" with {"left": uid or false}
#include "routes/socketio/namespace.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

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

/// Takes the messages sent to the user given as the listen's argument (the seed's MyAdapter).
json::array to_user(json::array const& messages, json::array const& args)
{
    json::array taken;
    for (auto const& m : messages)
        if (auto const* to = m.at("values").as_object().if_contains("to_id"); to && !args.empty() && *to == args.front())
            taken.push_back(m);
    return taken;
}
constexpr lp::socketio::adapter user_news{"examples_user_news", &to_user, &their_values};

using lp::socketio::event_type;

LONGPOLLING_ON(welcome, "welcome", event_type::connect)
{
    session.emit("welcome", {session.authenticated() ? json::value(session.uid()) : json::value(false)});
    co_return json::array{};
}

LONGPOLLING_ON(my_messages, "my_messages", user_news)
{
    json::array listen_args{session.uid()};
    auto const messages = co_await session.listen(std::move(listen_args));
    if (messages.empty())
        co_return json::array{false};
    auto users = session.model("res.users");
    json::array const fields{"login"};
    auto rows = co_await users.read(session.uid(), fields);
    json::object data{{"login", rows.empty() ? json::value(nullptr) : rows.front().at("login")},
                      {"messages", user_news.format(messages)}};
    auto const acknowledged = co_await session.secure_emit("other signal", std::move(data));
    co_return json::array{acknowledged};
}

LONGPOLLING_ON(farewell, "farewell", news, event_type::disconnect)
{
    json::object values{{"left", session.authenticated() ? json::value(session.uid()) : json::value(false)}};
    co_await session.notify(news.channel, std::move(values));
    co_return json::array{};
}

} // namespace
