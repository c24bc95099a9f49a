#include "bench/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>

namespace bench {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::int64_t now_ns()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

fleet::fleet(asio::io_context& io, target& t, options const& o, on_answer_fn on_answer)
    : io_(io), target_(t), options_(o), on_answer_(std::move(on_answer)), gate_(io)
{
    clients_.reserve(o.clients);
    for (std::size_t i = 0; i < o.clients; ++i)
        clients_.emplace_back(io.get_executor(), i);
}

asio::awaitable<void> fleet::open_all(cursor from)
{
    ++running_;
    struct ended {
        std::size_t& running;
        ~ended() { --running; }
    } const guard{running_};
    auto const start = std::chrono::steady_clock::now();
    asio::steady_timer tick(io_);
    while (started_ < clients_.size() && !stopping_) {
        std::size_t due = clients_.size();
        if (options_.ramp > 0) {
            std::chrono::duration<double> const elapsed = std::chrono::steady_clock::now() - start;
            due = std::min(clients_.size(), static_cast<std::size_t>(elapsed.count() * options_.ramp) + 1);
        }
        for (; started_ < due; ++started_)
            asio::co_spawn(io_, run(clients_[started_], from), asio::detached);
        if (started_ < clients_.size()) {
            tick.expires_after(std::chrono::milliseconds(2));
            co_await tick.async_wait(use_tuple);
        }
    }
}

asio::awaitable<bool> fleet::connect(client& c)
{
    c.state = client::phase::connecting;
    boost::system::error_code ec;
    c.socket.open(tcp::v4(), ec);
    if (!ec) {
        // Let the kernel pick the source port at connect() time from the whole 4-tuple, so that
        // each source address offers the full ephemeral range to this one destination.
        int one = 1;
        ::setsockopt(c.socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        ::setsockopt(c.socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        auto const source = asio::ip::address_v4(
            (127u << 24) | static_cast<unsigned>(2 + c.index % static_cast<std::size_t>(options_.source_addresses)));
        c.socket.bind(tcp::endpoint(source, 0), ec);
    }
    if (ec) {
        fail(c, "socket: " + ec.message());
        co_return false;
    }
    tcp::endpoint const server(asio::ip::make_address_v4(options_.host), options_.port);
    auto [connect_ec] = co_await c.socket.async_connect(server, use_tuple);
    if (stopping_)
        co_return false;
    if (connect_ec) {
        fail(c, "connect: " + connect_ec.message());
        co_return false;
    }
    c.buffer.clear();
    co_return true;
}

asio::awaitable<void> fleet::run(client& c, cursor from)
{
    ++running_;
    struct ended {
        std::size_t& running;
        ~ended() { --running; }
    } const guard{running_};
    target_.start(c, from);
    if (!co_await connect(c))
        co_return;
    asio::steady_timer pause(io_);
    for (;;) {
        std::string const wire = target_.request(c);
        auto [write_ec, sent] = co_await asio::async_write(c.socket, asio::buffer(wire), use_tuple);
        if (stopping_)
            co_return;
        if (write_ec) {
            fail(c, "write: " + write_ec.message());
            co_return;
        }
        if (c.answers == 0)
            ++written_;
        c.state = client::phase::waiting;
        ++waiting_;

        http::response_parser<http::string_body> parser;
        parser.body_limit(256u << 20);
        auto [read_ec, got] = co_await http::async_read(c.socket, c.buffer, parser, use_tuple);
        auto const at = now_ns();
        --waiting_;
        if (stopping_)
            co_return;
        if (read_ec) {
            fail(c, "read: " + read_ec.message());
            co_return;
        }
        c.answered_ns = at;
        ++c.answers;
        ++answers_;
        auto const& reply = parser.get();
        bool const keep_alive = reply.keep_alive();
        auto const step = on_answer_(c, reply);
        if (step == next_step::stop || step == next_step::stop_keep_open || stopping_) {
            c.state = client::phase::done;
            ++finished_;
            boost::system::error_code ignored;
            if (step != next_step::stop_keep_open)
                c.socket.close(ignored);
            co_return;
        }
        if (step == next_step::ask_again_later) {
            pause.expires_after(std::chrono::milliseconds(200));
            co_await pause.async_wait(use_tuple);
            if (stopping_)
                co_return;
        }
        else if (step == next_step::ask_again_paced) {
            while (gate_closed_ && !stopping_)
                co_await gate_.async_wait(use_tuple);
            if (stopping_)
                co_return;
        }
        if (step == next_step::ask_again_paced && options_.ramp > 0) {
            auto const slot = std::max(now_ns(), next_paced_ns_);
            next_paced_ns_ = slot + static_cast<std::int64_t>(1e9 / options_.ramp);
            if (slot > now_ns()) {
                pause.expires_after(std::chrono::nanoseconds(slot - now_ns()));
                co_await pause.async_wait(use_tuple);
                if (stopping_)
                    co_return;
            }
        }
        if (!keep_alive) {
            boost::system::error_code ignored;
            c.socket.close(ignored);
            if (!co_await connect(c))
                co_return;
        }
    }
}

void fleet::fail(client& c, std::string const& what)
{
    c.state = client::phase::failed;
    ++failed_;
    ++errors_[what];
    boost::system::error_code ignored;
    c.socket.close(ignored);
}

std::size_t fleet::open_connections() const
{
    std::size_t open = 0;
    for (auto const& c : clients_) {
        if (c.state != client::phase::waiting || !c.socket.is_open())
            continue;
        char byte;
        auto const n = ::recv(const_cast<client&>(c).socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))
            ++open;
    }
    return open;
}

void fleet::close_gate()
{
    gate_closed_ = true;
    gate_.expires_at(asio::steady_timer::time_point::max());
}

void fleet::open_gate()
{
    gate_closed_ = false;
    gate_.cancel();
}

asio::awaitable<void> fleet::reset()
{
    asio::steady_timer tick(io_);
    while (running_ > 0) {
        tick.expires_after(std::chrono::milliseconds(2));
        co_await tick.async_wait(use_tuple);
    }
    auto const n = clients_.size();
    clients_.clear();
    for (std::size_t i = 0; i < n; ++i)
        clients_.emplace_back(io_.get_executor(), i);
    stopping_ = false;
    started_ = written_ = waiting_ = failed_ = finished_ = answers_ = 0;
    errors_.clear();
    next_paced_ns_ = 0;
}

void fleet::stop()
{
    stopping_ = true;
    gate_.cancel();
    for (auto& c : clients_) {
        boost::system::error_code ignored;
        c.socket.close(ignored);
    }
}

} // namespace bench
