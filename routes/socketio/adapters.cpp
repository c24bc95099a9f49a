#include "routes/socketio/adapters.hpp"

#include "orm_bridge/log.hpp"
#include "routes/error_reply.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <unordered_set>

namespace lp::socketio {
namespace json = boost::json;
using namespace std::chrono_literals;

message_board::channel& message_board::find(std::string const& db, std::string_view name)
{
    return channels_[db + '\n' + std::string(name)];
}

json::array message_board::take(adapter::getter get, json::array const& messages, json::array const& args,
                                std::string_view channel)
{
    // An author's get that throws must not stop the channel: it takes nothing this time.
    try {
        return get(messages, args);
    }
    catch (...) {
        log::error("socketio", "adapter get of channel '", channel,
                   "' failed: ", describe_error(std::current_exception()).message);
    }
    return {};
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
    ch.messages.push_back(json::object{{"id", next_id_++}, {"values", values ? *values : json::value(json::object{})}});
    if (ch.messages.size() > max_kept)
        ch.messages.erase(ch.messages.begin());
    // One get per group of identical listeners; those it takes something for are woken.
    for (auto group = ch.groups.begin(); group != ch.groups.end();) {
        ++notification_gets_;
        auto taken = take(group->second.get, ch.messages, group->second.args, name->get_string());
        if (taken.empty()) {
            ++group;
            continue;
        }
        for (auto& w : group->second.waiting) {
            w->taken = taken;
            w->woken = true;
            w->timer.cancel();
        }
        group = ch.groups.erase(group);
    }
}

boost::asio::awaitable<json::array> message_board::wait(std::string const& db, adapter const& a, json::array const& args,
                                                        std::chrono::steady_clock::time_point deadline,
                                                        std::function<bool()> still_wanted)
{
    auto& ch = find(db, a.channel);
    auto taken = a.get(ch.messages, args);
    if (!taken.empty() || std::chrono::steady_clock::now() >= deadline)
        co_return taken;
    group_key const key{a.get, json::serialize(args)};
    auto& group = ch.groups[key];
    if (group.waiting.empty()) {
        group.get = a.get;
        group.args = args;
    }
    auto const me = std::make_shared<waiter>(executor_);
    group.waiting.push_back(me);
    // Woken by a notification that took something, or every second to see whether the client
    // is still there; get runs only at notifications meanwhile.
    for (;;) {
        me->timer.expires_at(std::min(deadline, std::chrono::steady_clock::now() + 1s));
        co_await me->timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        if (me->woken)
            co_return std::move(me->taken);
        if (std::chrono::steady_clock::now() >= deadline || !still_wanted())
            break;
    }
    // Given up: leave the group (a woken group is gone already).
    if (auto mine = ch.groups.find(key); mine != ch.groups.end()) {
        mine->second.waiting.remove(me);
        if (mine->second.waiting.empty())
            ch.groups.erase(mine);
    }
    co_return json::array{};
}

void message_board::consume(std::string const& db, std::string_view name, json::array const& taken)
{
    std::unordered_set<std::int64_t> ids;
    for (auto const& m : taken)
        if (auto const* id = m.is_object() ? m.get_object().if_contains("id") : nullptr; id && id->is_int64())
            ids.insert(id->get_int64());
    auto& messages = find(db, name).messages;
    auto const kept = std::remove_if(messages.begin(), messages.end(), [&](json::value const& m) {
        return ids.contains(m.get_object().at("id").get_int64());
    });
    messages.erase(kept, messages.end());
}

} // namespace lp::socketio
