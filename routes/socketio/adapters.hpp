// The seed's PostgreSQL adapters: the server LISTENs on socketio_listen_channel; each
// notification (payload {"channel": "<adapter channel>", "values": {...}}) is filed under its
// adapter channel until a listener's acknowledged emit consumes it (at-least-once: what no
// client acknowledged stays for the next listen).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace lp::socketio {

/// An adapter (the seed's AbstractAdapter subclass). Messages are {"id": n, "values": {...}}.
struct adapter {
    using getter = boost::json::array (*)(boost::json::array const& messages, boost::json::array const& args);
    std::string_view channel;
    /// The messages this listener takes (returned unchanged), given the listen's arguments.
    /// A function of its arguments only: listeners with the same get and arguments share one call.
    getter get;
    /// What is emitted for the taken messages.
    boost::json::value (*format)(boost::json::array const& messages);
};

/// Notifications waiting for listeners, per database and adapter channel.
class message_board {
public:
    /// `listen_channel`: the PostgreSQL channel notifications come on (socketio_listen_channel).
    message_board(boost::asio::any_io_executor executor, std::string listen_channel)
        : executor_(std::move(executor)), listen_channel_(std::move(listen_channel))
    {
    }
    std::string const& listen_channel() const { return listen_channel_; }

    /// A notification's payload on database `db`; a malformed one is logged and dropped.
    /// The waiting listeners of its channel are woken with what their get takes: get runs once
    /// per distinct (get, arguments) among them, not once per listener.
    void notified(std::string const& db, std::string_view payload);
    /// Waits until the adapter's get takes something among the messages not consumed yet;
    /// an empty array at `deadline`, or once `still_wanted` says no (asked every second).
    boost::asio::awaitable<boost::json::array> wait(std::string const& db, adapter const& a, boost::json::array const& args,
                                                    std::chrono::steady_clock::time_point deadline,
                                                    std::function<bool()> still_wanted);
    /// The taken messages were acknowledged: they are gone for every later listener.
    void consume(std::string const& db, std::string_view channel, boost::json::array const& taken);

    /// How many get calls notifications have made so far (tests, stats).
    std::uint64_t notification_gets() const { return notification_gets_; }

    /// Messages kept per channel at most: the oldest unconsumed ones go first beyond it.
    static constexpr std::size_t max_kept = 10000;

private:
    struct waiter {
        explicit waiter(boost::asio::any_io_executor const& e) : timer(e) {}
        boost::asio::steady_timer timer;
        bool woken = false;
        boost::json::array taken;
    };
    /// Listeners waiting with the same get and arguments: one get call answers them all.
    struct listener_group {
        adapter::getter get = nullptr;
        boost::json::array args;
        std::list<std::shared_ptr<waiter>> waiting;
    };
    using group_key = std::pair<adapter::getter, std::string>; ///< get, serialized arguments
    struct channel {
        boost::json::array messages; ///< as get sees them, oldest first
        std::map<group_key, listener_group> groups;
    };
    /// What `get` takes for a listener group; nothing (logged) when it throws.
    static boost::json::array take(adapter::getter get, boost::json::array const& messages,
                                   boost::json::array const& args, std::string_view channel);
    /// Entries are never erased: references stay valid across suspensions.
    channel& find(std::string const& db, std::string_view name);

    boost::asio::any_io_executor executor_;
    std::string listen_channel_;
    std::unordered_map<std::string, channel> channels_; ///< by "<db>\n<channel>"
    std::int64_t next_id_ = 1;
    std::uint64_t notification_gets_ = 0;
};

} // namespace lp::socketio
