// A waiting request's socket watched for its client leaving (EOF or an error), with no
// coroutine and no buffer: one queued one-byte peek per socket.
// Two kinds of waiters: a parked reply (a bus poll) and a handler still running (a framework
// route's wait, e.g. /countdown/N).
#pragma once

#include "routes/deferred_reply.hpp"

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <boost/asio/buffer.hpp>

#include <cstddef>
#include <memory>

namespace lp {

/// A handler that runs while its client may leave: the transport emits `signal` (the
/// dispatcher cancels the handler through it) and remembers that nothing is to be written.
/// Dropped by the transport once the handler has returned, which ends its watch.
struct running_handler {
    boost::asio::cancellation_signal signal;
    bool client_gone = false;
};

/// Whether the watch still has a waiter to report to: a parked reply until it is resolved
/// (after which the socket may belong to the connection's next coroutine), a running handler
/// for as long as the transport keeps it.
inline bool still_waiting(deferred_reply const& reply) { return !reply.resolved(); }
inline bool still_waiting(running_handler const&) { return true; }

/// Calls `gone(waiter)` once if the client of `socket` closes or resets its connection while
/// `waiter` lives and is still waiting. Readable with data instead (a pipelined next request)
/// ends the watch: the data waits for the connection's next read.
///
/// The watch is a one-byte MSG_PEEK receive, not an `async_wait`: Asio starts a wait with an
/// epoll_ctl call every time, a receive after the request's own read (which drained the
/// socket) is merely queued. Its completion never touches the socket, so whoever ends the wait
/// may move or close it (cancelled, it completes with operation_aborted).
template <class Waiter, class Gone>
void watch_departure(boost::asio::ip::tcp::socket& socket, std::weak_ptr<Waiter> waiter, Gone gone)
{
    static char peeked; // written by the kernel, never read
    socket.async_receive(boost::asio::buffer(&peeked, 1), boost::asio::socket_base::message_peek,
                         [waiter = std::move(waiter), gone = std::move(gone)](boost::system::error_code ec,
                                                                              std::size_t bytes) mutable {
                             auto const waiting = waiter.lock();
                             if (ec == boost::asio::error::operation_aborted || !waiting || !still_waiting(*waiting))
                                 return; // answered or cancelled meanwhile
                             if (!ec && bytes > 0)
                                 return; // a pipelined request: not a departure
                             gone(*waiting); // EOF, a reset or another error: the client has gone
                         });
}

} // namespace lp
