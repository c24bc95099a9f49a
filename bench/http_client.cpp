#include "bench/http_client.hpp"

#include "bench/event_loop.hpp"

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>

#include <chrono>

namespace bench {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

fleet::fleet(asio::io_context& io, target& t, options const& o, std::size_t count, on_answer_fn on_answer)
    : subscriber_fleet(io, t, o, count), on_answer_(std::move(on_answer)), gate_(io)
{
}

asio::awaitable<void> fleet::run(client& c, cursor from)
{
    running_guard const guard(running_);
    target_.start(c, from);
    if (!co_await connect(c))
        co_return;
    asio::steady_timer pause(io_);
    for (;;) {
        std::string const wire = target_.request(c);
        if (!co_await write_all(c, wire))
            co_return;
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

void fleet::stop()
{
    subscriber_fleet::stop();
    gate_.cancel();
}

} // namespace bench
