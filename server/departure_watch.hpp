// A request's socket watched for its client leaving (EOF or an error), with no coroutine and
// no buffer: one queued one-byte peek per request, kept from the dispatch until the answer.
// While the handler runs, a departure cancels it (a framework route's wait, e.g. /countdown/N);
// once its reply is parked (a bus poll), a departure forgets the reply and frees the connection.
#pragma once

#include "routes/deferred_reply.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <functional>
#include <memory>

namespace lp {

/// The state a request's watch reports to. Held by the watch's pending receive (it always
/// completes: data, EOF, an error, or cancelled) and by the transport while it serves the request.
class request_watch {
public:
    /// `handler` cancels the running handler (its slot goes to the dispatcher): it lives in the
    /// transport's coroutine, not here, so that a parked poll does not keep it.
    explicit request_watch(boost::asio::cancellation_signal& handler) : handler_(&handler) {}

    /// The client left while the handler ran: nothing is to be written.
    bool client_gone() const { return phase_ == phase::gone; }

    /// The handler has returned without parking a reply (or its signal is going): a departure
    /// from now on is the next read's to notice. No effect once gone or parked.
    void answered()
    {
        if (phase_ == phase::running)
            phase_ = phase::answered;
    }

    /// The handler has parked `reply` and returned: from now on a departure abandons it (if
    /// still unresolved) and calls `gone` (which closes the connection).
    void park(std::weak_ptr<deferred_reply> reply, std::function<void()> gone)
    {
        phase_ = phase::parked;
        reply_ = std::move(reply);
        gone_ = std::move(gone);
    }

    /// Starts watching `socket` for `watch`. The socket may then be moved (the pending receive
    /// stays with its descriptor) or closed; cancelling the socket's operations ends the watch.
    ///
    /// A one-byte MSG_PEEK receive, not an `async_wait`: Asio starts a wait with an epoll_ctl
    /// call every time, a receive after the request's own read (which drained the socket) is
    /// merely queued. Readable with data instead (a pipelined next request) ends the watch: the
    /// data waits for the connection's next read.
    static void start(boost::asio::ip::tcp::socket& socket, std::shared_ptr<request_watch> watch)
    {
        static char peeked; // written by the kernel, never read
        socket.async_receive(boost::asio::buffer(&peeked, 1), boost::asio::socket_base::message_peek,
                             [watch = std::move(watch)](boost::system::error_code ec, std::size_t bytes) {
                                 if (ec == boost::asio::error::operation_aborted || (!ec && bytes > 0))
                                     return; // ended by the transport, or a pipelined request
                                 watch->departed(); // EOF, a reset or another error: the client has gone
                             });
    }

private:
    /// gone: the client left while the handler ran (the receive completes once: final).
    enum class phase { running, gone, answered, parked };

    void departed()
    {
        if (phase_ == phase::answered || phase_ == phase::gone)
            return;
        if (phase_ == phase::running) {
            phase_ = phase::gone;
            handler_->emit(boost::asio::cancellation_type::terminal);
            return;
        }
        auto const reply = reply_.lock();
        if (!reply || reply->resolved())
            return; // answered meanwhile: the socket is the connection's next coroutine's
        reply->abandon();
        std::exchange(gone_, nullptr)();
    }

    boost::asio::cancellation_signal* handler_;
    phase phase_ = phase::running;
    std::weak_ptr<deferred_reply> reply_;
    std::function<void()> gone_;
};

} // namespace lp
