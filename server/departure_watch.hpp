// A waiting request's socket watched for its client leaving (EOF or an error), with no
// coroutine and no buffer: one readiness wait per socket, and a one-byte peek when it fires.
// Two kinds of waiters: a parked reply (a bus poll) and a handler still running (a framework
// route's wait, e.g. /countdown/N).
#pragma once

#include "routes/deferred_reply.hpp"

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <sys/socket.h>

#include <cerrno>
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
/// ends the watch: the data waits for the connection's next read. The socket is touched only
/// while the waiter is waiting, so whoever ends the wait may move or close it.
template <class Waiter, class Gone>
void watch_departure(boost::asio::ip::tcp::socket& socket, std::weak_ptr<Waiter> waiter, Gone gone)
{
    socket.async_wait(boost::asio::ip::tcp::socket::wait_read,
                      [&socket, waiter = std::move(waiter), gone = std::move(gone)](boost::system::error_code ec) mutable {
                          auto const waiting = waiter.lock();
                          if (ec || !waiting || !still_waiting(*waiting))
                              return; // answered or cancelled meanwhile
                          char byte;
                          auto const n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
                          if (n > 0)
                              return; // a pipelined request: not a departure
                          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                              watch_departure(socket, std::move(waiter), std::move(gone)); // spurious: again
                              return;
                          }
                          gone(*waiting);
                      });
}

} // namespace lp
