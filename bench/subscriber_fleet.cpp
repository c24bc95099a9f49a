#include "bench/subscriber_fleet.hpp"

#include "bench/event_loop.hpp"
#include "bench/source_address.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <chrono>

namespace bench {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

subscriber_fleet::subscriber_fleet(asio::io_context& io, target& t, options const& o, std::size_t count)
    : io_(io), target_(t), options_(o)
{
    clients_.reserve(count);
    for (std::size_t i = 0; i < count; ++i)
        clients_.emplace_back(io.get_executor(), i);
}

asio::awaitable<void> subscriber_fleet::open_all(cursor from)
{
    running_guard const guard(running_);
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

asio::awaitable<bool> subscriber_fleet::connect(client& c)
{
    c.state = client::phase::connecting;
    boost::system::error_code ec;
    open_from_source(c.socket, c.index, options_.source_addresses, ec);
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

asio::awaitable<bool> subscriber_fleet::write_all(client& c, std::string_view wire)
{
    auto [ec, sent] = co_await asio::async_write(c.socket, asio::buffer(wire), use_tuple);
    if (stopping_)
        co_return false;
    if (ec) {
        fail(c, "write: " + ec.message());
        co_return false;
    }
    co_return true;
}

void subscriber_fleet::fail(client& c, std::string const& what)
{
    c.state = client::phase::failed;
    ++failed_;
    ++errors_[what];
    boost::system::error_code ignored;
    c.socket.close(ignored);
}

std::size_t subscriber_fleet::open_connections() const
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

asio::awaitable<void> subscriber_fleet::reset()
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
}

void subscriber_fleet::stop()
{
    stopping_ = true;
    for (auto& c : clients_) {
        boost::system::error_code ignored;
        c.socket.close(ignored);
    }
}

} // namespace bench
