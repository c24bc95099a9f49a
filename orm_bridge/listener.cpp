#include "orm_bridge/listener.hpp"

#include "orm_bridge/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

namespace lp::orm {
namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

listener::listener(asio::any_io_executor executor, listener_settings settings, notification_handler on_notification,
                   connected_handler on_connected)
    : executor_(executor), settings_(std::move(settings)), on_notification_(std::move(on_notification)),
      on_connected_(std::move(on_connected)), state_(std::make_shared<state>(executor))
{
}

listener::~listener() { stop(); }

void listener::start()
{
    asio::co_spawn(executor_, run(state_, settings_, on_notification_, on_connected_),
                   asio::bind_cancellation_slot(stop_signal_.slot(), asio::detached));
}

void listener::stop()
{
    if (state_->stopped)
        return;
    state_->stopped = true;
    stop_signal_.emit(asio::cancellation_type::terminal);
}

int listener::backend_pid() const { return state_->conn.ok() ? state_->conn.backend_pid() : 0; }

asio::awaitable<void> listener::run(std::shared_ptr<state> st, listener_settings settings,
                                    notification_handler on_notification, connected_handler on_connected)
{
    std::minstd_rand random(static_cast<unsigned>(clock::now().time_since_epoch().count()));
    auto backoff = std::chrono::milliseconds(250);
    // The channel name is ours (a setting), but quote it anyway.
    std::string const listen = "LISTEN \"" + settings.channel + "\"";
    while (!st->stopped) {
        try {
            co_await st->conn.connect(settings.connection, clock::now() + std::chrono::seconds(10));
            co_await st->conn.execute(listen, clock::now() + std::chrono::seconds(10));
            ++st->connections;
            log::info("listener", settings.name, ": listening on '", settings.channel, "' (backend ",
                      st->conn.backend_pid(), ")");
            backoff = std::chrono::milliseconds(250);
            // Something may have been sent while we were not listening: everyone re-reads.
            on_connected();
            for (;;) {
                while (auto n = st->conn.take_notification())
                    on_notification(n->payload);
                bool quiet = false;
                try {
                    co_await st->conn.wait_for_input(clock::now() + settings.health_interval);
                }
                catch (pg::error const& e) {
                    if (e.code() != pg::make_error_code(pg::errc::timeout))
                        throw;
                    quiet = true;
                }
                if (quiet) // for a while: make sure the server is still there
                    co_await st->conn.execute("SELECT 1", clock::now() + std::chrono::seconds(10));
            }
        }
        catch (std::exception const& e) {
            if (st->stopped)
                break;
            log::warning("listener", settings.name, ": ", e.what(), "; reconnecting in ", backoff.count(), " ms");
        }
        st->conn.close();
        // Capped exponential back-off with jitter, so many servers do not reconnect in step.
        auto const jittered = std::chrono::milliseconds(
            backoff.count() / 2 + static_cast<long>(random() % static_cast<unsigned>(backoff.count() / 2 + 1)));
        asio::steady_timer pause(co_await asio::this_coro::executor, jittered);
        auto [ec] = co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || st->stopped)
            break;
        backoff = std::min(backoff * 2, settings.max_backoff);
    }
    st->conn.close();
}

} // namespace lp::orm
