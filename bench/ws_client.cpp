#include "bench/ws_client.hpp"

#include "bench/event_loop.hpp"


namespace bench {
namespace asio = boost::asio;

namespace {
// RFC 6455's sample key and its accept value: every client may use the same one.
constexpr std::string_view key = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
constexpr std::size_t read_size = 4096;

std::string_view buffered(client const& c)
{
    auto const data = c.buffer.data();
    return {static_cast<char const*>(data.data()), data.size()};
}
} // namespace

server_frame::status parse_server_frame(std::string_view data, server_frame& frame)
{
    if (data.size() < 2)
        return server_frame::status::incomplete;
    auto const b0 = static_cast<unsigned char>(data[0]);
    auto const b1 = static_cast<unsigned char>(data[1]);
    if ((b1 & 0x80) != 0 || (b0 & 0x70) != 0) // masked, or extension bits
        return server_frame::status::invalid;
    std::size_t header = 2;
    std::uint64_t length = b1 & 0x7F;
    if (length >= 126) {
        std::size_t const extra = length == 126 ? 2 : 8;
        if (data.size() < header + extra)
            return server_frame::status::incomplete;
        length = 0;
        for (std::size_t i = 0; i < extra; ++i)
            length = (length << 8) | static_cast<unsigned char>(data[header + i]);
        header += extra;
    }
    if (data.size() - header < length)
        return server_frame::status::incomplete;
    frame.opcode = b0 & 0x0F;
    frame.fin = (b0 & 0x80) != 0;
    frame.payload = data.substr(header, static_cast<std::size_t>(length));
    frame.size = header + static_cast<std::size_t>(length);
    return server_frame::status::complete;
}

ws_fleet::ws_fleet(asio::io_context& io, target& t, options const& o, std::size_t count, on_message_fn on_message)
    : subscriber_fleet(io, t, o, count), on_message_(std::move(on_message))
{
    upgrade_request_ = "GET " + t.websocket_path() + " HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port)
                       + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + std::string(key)
                       + "\r\nSec-WebSocket-Version: 13\r\nOrigin: http://" + o.host + ":" + std::to_string(o.port)
                       + "\r\n\r\n";
}

asio::awaitable<bool> ws_fleet::upgrade(client& c)
{
    if (!co_await write_all(c, upgrade_request_))
        co_return false;
    for (;;) {
        auto const end = buffered(c).find("\r\n\r\n");
        if (end != std::string_view::npos) {
            auto const head = buffered(c).substr(0, end);
            if (!head.starts_with("HTTP/1.1 101") || head.find(accept) == std::string_view::npos) {
                fail(c, "upgrade refused: " + std::string(head.substr(0, head.find('\r'))));
                co_return false;
            }
            c.buffer.consume(end + 4); // frames may follow at once
            co_return true;
        }
        if (c.buffer.size() > 16384) {
            fail(c, "upgrade: answer too long");
            co_return false;
        }
        auto [read_ec, n] = co_await c.socket.async_read_some(c.buffer.prepare(read_size), use_tuple);
        if (stopping_)
            co_return false;
        if (read_ec) {
            fail(c, "upgrade: " + read_ec.message());
            co_return false;
        }
        c.buffer.commit(n);
    }
}

asio::awaitable<bool> ws_fleet::send(client& c, lp::ws::opcode op, std::string_view payload)
{
    std::string wire;
    std::array<unsigned char, 4> const mask{0x12, 0x34, 0x56, 0x78};
    lp::ws::append_frame(wire, op, payload, true, &mask);
    co_return co_await write_all(c, wire);
}

asio::awaitable<bool> ws_fleet::handle_frames(client& c, std::int64_t at_ns)
{
    for (;;) {
        server_frame frame;
        auto const status = parse_server_frame(buffered(c), frame);
        if (status == server_frame::status::incomplete)
            co_return true;
        if (status == server_frame::status::invalid) {
            fail(c, "a masked frame or extension bits from the server");
            co_return false;
        }
        auto const op = static_cast<lp::ws::opcode>(frame.opcode);
        if (!frame.fin || op == lp::ws::opcode::continuation) {
            fail(c, "a fragmented message (servers here send whole ones)");
            co_return false;
        }
        if (op == lp::ws::opcode::close) {
            std::uint16_t code = lp::ws::close_code::no_status;
            if (frame.payload.size() >= 2)
                code = static_cast<std::uint16_t>((static_cast<unsigned char>(frame.payload[0]) << 8)
                                                  | static_cast<unsigned char>(frame.payload[1]));
            fail(c, "closed by the server: " + std::to_string(code));
            co_return false;
        }
        if (op == lp::ws::opcode::ping) {
            std::string const payload(frame.payload);
            c.buffer.consume(frame.size);
            if (!co_await send(c, lp::ws::opcode::pong, payload))
                co_return false;
            continue;
        }
        if (op == lp::ws::opcode::text) {
            c.answered_ns = at_ns;
            ++c.answers;
            ++answers_;
            on_message_(c, target_.read_message(c, frame.payload));
        }
        c.buffer.consume(frame.size); // binary and pong: nothing to do
    }
}

asio::awaitable<void> ws_fleet::run(client& c, cursor from)
{
    running_guard const guard(running_);
    target_.start(c, from);
    if (!co_await connect(c) || !co_await upgrade(c))
        co_return;
    if (auto const subscribe = target_.subscribe_message(c); !subscribe.empty())
        if (!co_await send(c, lp::ws::opcode::text, subscribe))
            co_return;
    ++written_;
    c.state = client::phase::waiting;
    ++waiting_;
    for (auto at = now_ns();;) {
        if (!co_await handle_frames(c, at))
            break;
        auto [ec, n] = co_await c.socket.async_read_some(c.buffer.prepare(read_size), use_tuple);
        at = now_ns();
        if (stopping_)
            break;
        if (ec) {
            fail(c, "read: " + ec.message());
            break;
        }
        c.buffer.commit(n);
    }
    --waiting_;
}

} // namespace bench
