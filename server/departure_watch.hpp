// A parked request's socket watched for its client leaving (EOF or an error), with no coroutine
// and no buffer: one readiness wait per socket, and a one-byte peek when it fires.
#pragma once

#include "routes/deferred_reply.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <memory>

namespace lp {

/// Calls `gone()` once if the client of `socket` closes or resets its connection while `reply`
/// is still unresolved. Readable with data instead (a pipelined next request) ends the watch:
/// the data waits for the connection's next read. Once `reply` is resolved (or destroyed) the
/// watch does nothing, so the socket may by then belong to the connection's next coroutine.
template <class Gone>
void watch_departure(boost::asio::ip::tcp::socket& socket, std::weak_ptr<deferred_reply> reply, Gone gone)
{
    socket.async_wait(boost::asio::ip::tcp::socket::wait_read,
                      [&socket, reply = std::move(reply), gone = std::move(gone)](boost::system::error_code ec) mutable {
                          auto const waiting = reply.lock();
                          if (ec || !waiting || waiting->resolved())
                              return; // answered meanwhile: the socket is no longer parked
                          char byte;
                          auto const n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
                          if (n > 0)
                              return; // a pipelined request: not a departure
                          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                              watch_departure(socket, std::move(reply), std::move(gone)); // spurious: again
                              return;
                          }
                          gone(*waiting);
                      });
}

} // namespace lp
