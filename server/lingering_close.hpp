// Closing a connection after a reply without losing the reply. A socket closed while bytes
// the client sent are still unread makes the kernel answer with a reset, which drops what it
// has not sent yet of our reply (and some clients discard what they received but did not
// read). So the server half-closes first, then reads and discards what the client still
// sends, briefly, and closes once the client is done: an ordinary FIN behind the reply.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>

namespace lp {

/// How long a lingering close reads at most (Apache's lingering close reads for 2 s too).
inline constexpr std::chrono::seconds lingering_time{2};

/// Half-closes `stream`, then reads and discards until the client closes, an error, a
/// cancel(), or `limit` passes. The stream's timer is used.
boost::asio::awaitable<void> lingering_close(boost::beast::tcp_stream& stream, std::chrono::steady_clock::duration limit);

} // namespace lp
