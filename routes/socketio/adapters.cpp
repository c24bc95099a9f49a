#include "routes/socketio/adapters.hpp"

#include "orm_bridge/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <unordered_set>

namespace lp::socketio {
namespace json = boost::json;

message_board::channel& message_board::find(std::string const& db, std::string_view name)
{
    return channels_[db + '\n' + std::string(name)];
}

void message_board::notified(std::string const& db, std::string_view payload)
{
    boost::system::error_code ec;
    auto parsed = json::parse(payload, ec);
    auto const* object = ec ? nullptr : parsed.if_object();
    auto const* name = object ? object->if_contains("channel") : nullptr;
    if (!name || !name->is_string()) {
        log::warning("socketio", "notification without a \"channel\" string on database '", db, "': dropped");
        return;
    }
    auto const* values = object->if_contains("values");
    auto& ch = find(db, name->get_string());
    ch.messages.push_back({next_id_++, values ? *values : json::value(json::object{})});
    if (ch.messages.size() > max_kept)
        ch.messages.erase(ch.messages.begin());
    // Every listener of the channel looks again (each with its own get).
    for (auto& timer : std::exchange(ch.waiting, {}))
        timer->cancel();
}

boost::asio::awaitable<json::array> message_board::wait(std::string const& db, adapter const& a, json::array const& args,
                                                        std::chrono::steady_clock::time_point deadline)
{
    for (;;) {
        auto& ch = find(db, a.channel);
        json::array available;
        available.reserve(ch.messages.size());
        for (auto const& m : ch.messages)
            available.push_back(json::object{{"id", m.id}, {"values", m.values}});
        auto taken = a.get(available, args);
        if (!taken.empty() || std::chrono::steady_clock::now() >= deadline)
            co_return taken;
        auto timer = std::make_shared<boost::asio::steady_timer>(executor_, deadline);
        ch.waiting.push_back(timer);
        co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        // Woken (a notification) or out of time: the next turn looks again. The channel's
        // list may have been emptied meanwhile; a timer still in it is removed.
        auto& again = find(db, a.channel);
        again.waiting.remove(timer);
    }
}

void message_board::consume(std::string const& db, std::string_view name, json::array const& taken)
{
    std::unordered_set<std::int64_t> ids;
    for (auto const& m : taken)
        if (auto const* id = m.is_object() ? m.get_object().if_contains("id") : nullptr; id && id->is_int64())
            ids.insert(id->get_int64());
    auto& ch = find(db, name);
    std::erase_if(ch.messages, [&](stored const& m) { return ids.contains(m.id); });
}

} // namespace lp::socketio
