#include "server/http_server.hpp"

#include "orm_bridge/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace lp {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr char server_name[] = "longpolling-server";

/// The status for a request that could not be read, or 0 when the peer simply went away
/// (closed, timed out, or we cancelled the read at shutdown) and nothing should be written.
unsigned status_for_read_error(beast::error_code ec)
{
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted
        || ec == asio::error::connection_reset || ec == asio::error::eof || ec == http::error::partial_message)
        return 0;
    if (ec == http::error::header_limit)
        return 431;
    if (ec == http::error::body_limit)
        return 413;
    return 400;
}

std::string reason_for(unsigned status, beast::error_code ec)
{
    switch (status) {
    case 431: return "request header too large";
    case 413: return "request body too large";
    default: return "malformed HTTP request: " + ec.message();
    }
}
} // namespace

/// One accepted connection, as the server tracks it for shutdown.
struct http_server::connection {
    beast::tcp_stream stream;
    bool idle = true; ///< waiting for the next request: safe to close at shutdown
};

http_server::http_server(asio::io_context& io, tcp::endpoint endpoint, http_limits limits, dispatcher& requests)
    : io_(io), acceptor_(io), limits_(limits), dispatcher_(requests)
{
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
}

tcp::endpoint http_server::local_endpoint() const { return acceptor_.local_endpoint(); }

void http_server::start()
{
    asio::co_spawn(io_, accept_loop(), [](std::exception_ptr e) {
        if (e)
            try {
                std::rethrow_exception(e);
            }
            catch (std::exception const& x) {
                log::error("http", "the accept loop failed: ", x.what());
            }
    });
}

void http_server::stop(std::function<void()> on_closed)
{
    stopping_ = true;
    on_closed_ = std::move(on_closed);
    beast::error_code ignored;
    acceptor_.close(ignored);
    dispatcher_.stop();
    // Idle keep-alive connections wait in a read: cancel it. Busy ones finish their reply
    // (marked Connection: close) and end by themselves.
    for (auto* c : connections_)
        if (c->idle)
            c->stream.cancel();
    if (connections_.empty() && on_closed_)
        std::exchange(on_closed_, nullptr)();
}

void http_server::forget(std::list<connection*>::iterator at)
{
    connections_.erase(at);
    if (stopping_ && connections_.empty() && on_closed_)
        std::exchange(on_closed_, nullptr)();
}

asio::awaitable<void> http_server::accept_loop()
{
    auto executor = co_await asio::this_coro::executor;
    while (!stopping_) {
        auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
        if (stopping_ || ec == asio::error::operation_aborted)
            break;
        if (ec) {
            // Out of descriptors (EMFILE/ENFILE) or a transient error: pause instead of spinning.
            log::warning("http", "accept failed: ", ec.message());
            asio::steady_timer pause(executor, std::chrono::milliseconds(100));
            co_await pause.async_wait(use_tuple);
            continue;
        }
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        asio::co_spawn(executor, serve(std::move(socket)), [](std::exception_ptr e) {
            if (e)
                try {
                    std::rethrow_exception(e);
                }
                catch (std::exception const& x) {
                    log::error("http", "connection failed: ", x.what());
                }
        });
    }
}

asio::awaitable<void> http_server::serve(tcp::socket socket)
{
    connection self{beast::tcp_stream(std::move(socket))};
    connections_.push_front(&self);
    struct unregister {
        http_server& server;
        std::list<connection*>::iterator at;
        ~unregister() { server.forget(at); }
    } const registered{*this, connections_.begin()};

    beast::flat_buffer buffer;
    while (!stopping_) {
        self.idle = true;
        incoming_request in;
        unsigned version = 11;
        bool keep_alive = true;
        {
            // A new parser per request: limits apply to each message, not to the connection.
            http::request_parser<http::string_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(limits_.header_limit));
            parser.body_limit(limits_.body_limit);

            self.stream.expires_after(limits_.header_timeout);
            auto [header_ec, header_bytes] = co_await http::async_read_header(self.stream, buffer, parser, use_tuple);
            beast::error_code ec = header_ec;
            if (!ec) {
                self.idle = false;
                auto const& header = parser.get();
                if (header[http::field::expect] == "100-continue" && !parser.is_done()) {
                    // curl waits for this before sending a large body.
                    http::response<http::empty_body> go_on{http::status::continue_, header.version()};
                    self.stream.expires_after(limits_.body_timeout);
                    auto [continue_ec, continue_bytes] = co_await http::async_write(self.stream, go_on, use_tuple);
                    ec = continue_ec;
                }
                if (!ec && !parser.is_done()) {
                    self.stream.expires_after(limits_.body_timeout);
                    auto [body_ec, body_bytes] = co_await http::async_read(self.stream, buffer, parser, use_tuple);
                    ec = body_ec;
                }
            }
            if (ec) {
                auto const status = status_for_read_error(ec);
                if (status == 0 || stopping_)
                    break;
                http::response<http::string_body> refusal{static_cast<http::status>(status), 11};
                refusal.set(http::field::server, server_name);
                refusal.set(http::field::content_type, "text/plain; charset=utf-8");
                refusal.body() = reason_for(status, ec) + "\n";
                refusal.keep_alive(false);
                refusal.prepare_payload();
                self.stream.expires_after(limits_.body_timeout);
                co_await http::async_write(self.stream, refusal, use_tuple);
                break;
            }
            auto message = parser.release();
            version = message.version();
            keep_alive = message.keep_alive();
            in.method = std::string(message.method_string());
            in.target = std::string(message.target());
            in.content_type = std::string(message[http::field::content_type]);
            in.cookie = std::string(message[http::field::cookie]);
            in.body = std::move(message.body());
        }
        // Nothing of the request is kept while the handler waits: parked requests stay small.
        self.stream.expires_never();
        if (buffer.size() == 0)
            buffer.shrink_to_fit();

        auto out = co_await dispatcher_.dispatch(std::move(in));

        http::response<http::string_body> response{static_cast<http::status>(out.status), version};
        response.set(http::field::server, server_name);
        response.set(http::field::content_type, out.content_type);
        response.set(http::field::cache_control, "no-store");
        for (auto const& [name, value] : out.headers)
            response.set(name, value);
        response.body() = std::move(out.body);
        response.keep_alive(keep_alive && !stopping_);
        response.prepare_payload();
        self.stream.expires_after(limits_.body_timeout);
        auto [write_ec, written] = co_await http::async_write(self.stream, response, use_tuple);
        if (write_ec || !response.keep_alive())
            break;
    }
    beast::error_code ignored;
    self.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

} // namespace lp
