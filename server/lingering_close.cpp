#include "server/lingering_close.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>

namespace lp {

boost::asio::awaitable<void> lingering_close(boost::beast::tcp_stream& stream, std::chrono::steady_clock::duration limit)
{
    boost::beast::error_code ec;
    stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
    if (ec)
        co_return;
    stream.expires_after(limit);
    // In this coroutine's frame: only a connection that lingers holds it.
    std::array<char, 4096> discarded;
    for (;;) {
        auto [read_ec, n] = co_await stream.async_read_some(boost::asio::buffer(discarded),
                                                            boost::asio::as_tuple(boost::asio::use_awaitable));
        if (read_ec)
            break; // the client closed (eof), went away, or the time is up
    }
}

} // namespace lp
