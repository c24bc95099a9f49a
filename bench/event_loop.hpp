// Time as the load generators measure it and wait on it: the steady clock in nanoseconds (the
// same clock on every thread) and a pause that lets the event loop serve the clients meanwhile.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>

namespace bench {

/// Completion token of the load generators' waits: errors come back as values (a stopped or
/// refused client is counted, not thrown).
inline constexpr auto use_tuple = boost::asio::as_tuple(boost::asio::use_awaitable);

/// steady_clock now, in nanoseconds.
inline std::int64_t now_ns()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// Waits `d` on the current coroutine's executor.
inline boost::asio::awaitable<void> pause_for(std::chrono::steady_clock::duration d)
{
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
    co_await t.async_wait(use_tuple);
}

} // namespace bench
