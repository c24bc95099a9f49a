// A dedicated LISTEN connection: never lent to the pool, reconnected with capped, jittered
// back-off, and announcing every (re)connection so that waiters re-read what they may have
// missed while it was deaf.
#pragma once

#include "orm_bridge/pg_connection.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace lp::orm {

struct listener_settings {
    std::string name;                          ///< for logs, e.g. the database listened on
    pg::connection_parameters connection;
    std::string channel = "imbus";
    std::chrono::milliseconds health_interval{30000}; ///< a quiet connection is checked this often
    std::chrono::milliseconds max_backoff{30000};
};

class listener {
public:
    /// Called for each notification's payload. Must not suspend (it runs inside the drain loop).
    using notification_handler = std::function<void(std::string const& payload)>;
    /// Called after each successful LISTEN, the first one included.
    using connected_handler = std::function<void()>;

    listener(boost::asio::any_io_executor executor, listener_settings settings, notification_handler on_notification,
             connected_handler on_connected);
    ~listener();

    void start();
    /// Stops listening; the connection closes once the loop has unwound.
    void stop();

    /// The backend's pid while connected (0 otherwise), e.g. for pg_terminate_backend in tests.
    int backend_pid() const;
    std::uint64_t connections() const { return state_->connections; }

private:
    struct state {
        explicit state(boost::asio::any_io_executor e) : conn(std::move(e)) {}
        pg::connection conn;
        bool stopped = false;
        std::uint64_t connections = 0;
    };
    static boost::asio::awaitable<void> run(std::shared_ptr<state> st, listener_settings settings,
                                            notification_handler on_notification, connected_handler on_connected);

    boost::asio::any_io_executor executor_;
    listener_settings settings_;
    notification_handler on_notification_;
    connected_handler on_connected_;
    std::shared_ptr<state> state_;
    boost::asio::cancellation_signal stop_signal_;
};

} // namespace lp::orm
