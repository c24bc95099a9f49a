#include "server/websocket_server.hpp"

#include "orm_bridge/limits_hit.hpp"
#include "orm_bridge/log.hpp"
#include "routes/error_reply.hpp"
#include "server/websocket_frame.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include <unistd.h>

namespace lp {
namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ws::opcode;
namespace close_code = ws::close_code;

/// One read into the shared buffer; a connection with more waiting reads again after the
/// others had their turn.
constexpr std::size_t read_buffer_size = 64 * 1024;
constexpr int reads_per_turn = 16;
/// At shutdown a client has this long to answer the 1001 close frame.
constexpr std::chrono::seconds shutdown_close_timeout{1};

bool would_block(int error) { return error == EAGAIN || error == EWOULDBLOCK || error == EINTR; }

// The io_context's own executor type rather than any_io_executor: 96 bytes less per
// connection (socket and timer), which is most of what an idle WebSocket is.
using socket_type = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;
using timer_type = asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>,
                                              asio::io_context::executor_type>;
} // namespace

/// One open WebSocket: the session a handler sees, and the transport's state.
struct websocket_server::connection final : websocket_session {
    enum class phase : std::uint8_t {
        handshake, ///< the endpoint's open function runs: frames are only queued
        open,
        closing, ///< a close frame is queued: no more messages either way
        ended,   ///< socket closed, handler gone; freed once no completion is pending
    };

    explicit connection(websocket_server& s)
        : server(s), socket(s.io_), timer(s.io_), decoder(s.limits_.max_message)
    {
    }

    void send_text(std::string_view text) override
    {
        if (state == phase::open || state == phase::handshake)
            server.send_frame(*this, opcode::text, text);
    }
    void send_binary(std::string_view bytes) override
    {
        if (state == phase::open || state == phase::handshake)
            server.send_frame(*this, opcode::binary, bytes);
    }
    void close(std::uint16_t code, std::string_view reason) override { server.start_close(*this, code, reason); }
    bool is_open() const override { return state == phase::open || state == phase::handshake; }

    websocket_server& server;
    socket_type socket;
    timer_type timer;
    ws::frame_decoder decoder;
    std::unique_ptr<websocket_handler> handler;
    /// Frames not sent yet, whole, so that a backlog can be dropped at a frame boundary; the
    /// first may be partly sent. Empty (no heap block) while the socket takes everything.
    std::vector<std::string> outgoing;
    std::size_t first_sent = 0; ///< bytes of outgoing[0] already sent
    std::size_t queued = 0;     ///< bytes of outgoing not sent yet
    phase state = phase::open;
    bool reading = false;        ///< a wait for readability is pending
    bool writing = false;        ///< a wait for writability is pending
    bool timer_armed = false;
    bool awaiting_pong = false;
    bool close_sent = false;     ///< our close frame is queued or sent
    bool end_when_sent = false;  ///< the closing handshake is complete once our frames are out
    bool write_shut = false;
    std::uint16_t close_code = close_code::abnormal; ///< the first close code sent or received
    unsigned pending = 0;        ///< completions still to run
    clock::time_point last_frame;
    clock::time_point ping_sent;
    clock::time_point lifetime_end;
    clock::time_point close_deadline;
    clock::time_point timer_expiry;
    std::list<connection*>::iterator registration;
    std::size_t* sessions = nullptr; ///< its endpoint's count of open sessions, while registered
};

websocket_server::websocket_server(asio::io_context& io, websocket_table const& endpoints, websocket_limits limits,
                                   services const* shared)
    : io_(io), endpoints_(endpoints), limits_(limits), shared_(shared), read_buffer_(read_buffer_size),
      random_(std::random_device{}())
{
    for (auto const& [path, endpoint] : endpoints_.endpoints()) {
        auto const* count = &sessions_[endpoint];
        sessions_gauges_.push_back(metrics::read_when_scraped(
            metrics::kind::gauge, "lp_websocket_sessions", "Open WebSocket sessions, by endpoint",
            {{"endpoint", std::string(endpoint->name)}, {"path", std::string(path)}},
            [count] { return static_cast<double>(*count); }));
    }
}

websocket_server::~websocket_server()
{
    // Only after a forced stop are connections left; their completions will never run.
    for (auto* c : connections_)
        delete c;
}

std::optional<outgoing_response> websocket_server::open(tcp::socket& socket, websocket_upgrade upgrade,
                                                        std::string_view early_bytes)
{
    auto refusal = [](unsigned status, std::string message) {
        outgoing_response out;
        out.status = status;
        out.content_type = "text/plain; charset=utf-8";
        out.body = std::move(message) + "\n";
        return out;
    };
    auto const verdict = ws::check_handshake(upgrade.handshake);
    if (verdict.status != 101) {
        auto out = refusal(verdict.status, verdict.reason);
        if (verdict.status == 426)
            out.headers.emplace_back("Sec-WebSocket-Version", "13");
        return out;
    }
    if (stopping_)
        return refusal(503, "the server is shutting down");

    // The open function may send at once: its frames are queued behind the 101, which is
    // written once it has accepted.
    auto c = std::make_unique<connection>(*this);
    c->state = connection::phase::handshake;
    upgrade.request.shared = shared_;
    try {
        c->handler = upgrade.endpoint->open(*c, upgrade.request);
        if (!c->handler)
            throw std::logic_error("the open function returned no handler");
    }
    catch (...) {
        auto const error = describe_error(std::current_exception());
        if (error.unexpected)
            log::error("websocket", upgrade.endpoint->name, " failed to open: ", error.message);
        return refusal(error.status, error.message);
    }
    auto const response = ws::switching_protocols(verdict.accept);
    c->outgoing.insert(c->outgoing.begin(), response);
    c->queued += response.size();
    // The descriptor moves to a socket of the connection's type (registered anew).
    boost::system::error_code ec;
    auto const protocol = socket.local_endpoint(ec).protocol();
    if (!ec) {
        auto const fd = socket.release(ec);
        if (!ec) {
            c->socket.assign(protocol, fd, ec);
            if (ec)
                ::close(fd);
        }
    }
    if (ec) {
        // The client is gone already: nothing can be written to it.
        log::debug("websocket", "cannot take over the connection: ", ec.message());
        c->handler->on_close(close_code::abnormal);
        return std::nullopt;
    }
    if (c->state == connection::phase::handshake)
        c->state = connection::phase::open;
    connections_.push_front(c.get());
    c->registration = connections_.begin();
    c->sessions = &sessions_[upgrade.endpoint];
    ++*c->sessions;
    auto& opened = *c.release();

    auto const now = clock::now();
    opened.last_frame = now;
    auto const lifetime = std::chrono::duration_cast<clock::duration>(limits_.keep_alive_timeout);
    std::uniform_int_distribution<clock::rep> jitter(0, lifetime.count() / 2);
    opened.lifetime_end = now + lifetime + clock::duration(jitter(random_));
    // Completions of its own hold the connection from here; this one covers the calls below.
    ++opened.pending;
    flush(opened);
    if (opened.state != connection::phase::ended && opened.queued > limits_.max_queued) {
        count_limit_hit(limit::websocket_max_queued);
        start_close(opened, close_code::policy_violation, "the client does not read what it is sent");
    }
    schedule(opened);
    if (!early_bytes.empty() && opened.state != connection::phase::ended) {
        std::string copy(early_bytes);
        receive(opened, copy);
    }
    if (opened.state != connection::phase::ended)
        on_readable(opened);
    asio::post(io_, [this, &opened] {
        --opened.pending;
        settle(opened);
    });
    return std::nullopt;
}

void websocket_server::stop(std::function<void()> on_closed)
{
    stopping_ = true;
    on_closed_ = std::move(on_closed);
    // A copy: a connection whose socket fails while its close frame is sent ends at once.
    std::vector<connection*> const open(connections_.begin(), connections_.end());
    for (auto* c : open) {
        if (c->state == connection::phase::open)
            start_close(*c, close_code::going_away, "server shutting down");
        else if (c->state == connection::phase::closing) {
            c->close_deadline = std::min(c->close_deadline, clock::now() + shutdown_close_timeout);
            schedule(*c);
        }
    }
    if (connections_.empty() && on_closed_)
        std::exchange(on_closed_, nullptr)();
}

void websocket_server::arm_read(connection& c) { await_socket(c, tcp::socket::wait_read); }

void websocket_server::arm_write(connection& c) { await_socket(c, tcp::socket::wait_write); }

void websocket_server::await_socket(connection& c, tcp::socket::wait_type wait)
{
    bool const read = wait == tcp::socket::wait_read;
    bool& waiting = read ? c.reading : c.writing;
    if (waiting || c.state == connection::phase::ended)
        return;
    waiting = true;
    ++c.pending;
    c.socket.async_wait(wait, [this, &c, read](boost::system::error_code ec) {
        --c.pending;
        (read ? c.reading : c.writing) = false;
        if (!ec && c.state != connection::phase::ended) {
            if (read)
                on_readable(c);
            else
                flush(c);
        }
        settle(c);
    });
}

void websocket_server::on_readable(connection& c)
{
    auto const fd = c.socket.native_handle();
    for (int turn = 0; turn < reads_per_turn; ++turn) {
        auto const n = ::recv(fd, read_buffer_.data(), read_buffer_.size(), MSG_DONTWAIT);
        if (n > 0) {
            // Any frame from the client shows it is alive.
            c.last_frame = clock::now();
            c.awaiting_pong = false;
            receive(c, std::span<char>(read_buffer_.data(), static_cast<std::size_t>(n)));
            if (c.state == connection::phase::ended)
                return;
            if (static_cast<std::size_t>(n) < read_buffer_.size()) {
                arm_read(c);
                return;
            }
            continue;
        }
        if (n < 0 && would_block(errno)) {
            arm_read(c);
            return;
        }
        // The peer closed its side (or the connection broke).
        end(c, c.close_code);
        return;
    }
    // More to read: the other connections first.
    ++c.pending;
    asio::post(io_, [this, &c] {
        --c.pending;
        if (c.state != connection::phase::ended)
            on_readable(c);
        settle(c);
    });
}

void websocket_server::receive(connection& c, std::span<char> bytes)
{
    while (!bytes.empty() && c.state != connection::phase::ended) {
        ws::frame_event event;
        auto const used = c.decoder.decode(bytes, event);
        bytes = bytes.subspan(used);
        switch (event.what) {
        case ws::frame_event::kind::none: return;
        case ws::frame_event::kind::message:
            if (c.state != connection::phase::open)
                break;
            try {
                c.handler->on_message(c, event.payload, event.binary);
            }
            catch (std::exception const& e) {
                log::error("websocket", "a handler failed: ", e.what());
                start_close(c, close_code::internal_error, "server error");
            }
            break;
        case ws::frame_event::kind::ping:
            if (!c.close_sent)
                send_frame(c, opcode::pong, event.payload);
            break;
        case ws::frame_event::kind::pong: break;
        case ws::frame_event::kind::close: close_received(c, event.code); return;
        case ws::frame_event::kind::error:
            log::debug("websocket", "closing with ", event.code, ": ", event.description);
            if (event.code == close_code::message_too_big)
                count_limit_hit(limit::websocket_max_message);
            start_close(c, event.code, event.description);
            return; // the rest is not read: the decoder has failed
        }
    }
}

void websocket_server::send_frame(connection& c, opcode op, std::string_view payload)
{
    std::array<char, 10> header;
    auto const header_size = ws::write_frame_header(header, op, payload.size());
    auto const size = header_size + payload.size();
    std::size_t sent = 0;
    if (c.outgoing.empty() && c.state != connection::phase::handshake) {
        // Straight to the socket, header and payload in one call, without copying them.
        std::array<iovec, 2> parts{iovec{header.data(), header_size},
                                   iovec{const_cast<char*>(payload.data()), payload.size()}};
        msghdr message{};
        message.msg_iov = parts.data();
        message.msg_iovlen = payload.empty() ? 1 : 2;
        auto const n = ::sendmsg(c.socket.native_handle(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && !would_block(errno)) {
            end_soon(c);
            return;
        }
        sent = n < 0 ? 0 : static_cast<std::size_t>(n);
        if (sent == size) {
            all_sent(c);
            return;
        }
        c.first_sent = sent;
    }
    queue(c, op, payload, sent);
    if (c.state == connection::phase::handshake)
        return;
    arm_write(c);
    if (c.queued > limits_.max_queued && c.state == connection::phase::open) {
        // The client does not read: what it has not started to receive is dropped, and it
        // is told why (once it reads again).
        auto const keep = c.first_sent > 0 ? 1 : 0;
        c.outgoing.erase(c.outgoing.begin() + keep, c.outgoing.end());
        c.queued = keep ? c.outgoing.front().size() - c.first_sent : 0;
        count_limit_hit(limit::websocket_max_queued);
        start_close(c, close_code::policy_violation, "the client does not read what it is sent");
    }
}

void websocket_server::queue(connection& c, opcode op, std::string_view payload, std::size_t sent)
{
    std::array<char, 10> header;
    auto const header_size = ws::write_frame_header(header, op, payload.size());
    std::string frame;
    frame.reserve(header_size + payload.size());
    frame.append(header.data(), header_size).append(payload);
    c.queued += frame.size() - sent;
    c.outgoing.push_back(std::move(frame));
}

void websocket_server::flush(connection& c)
{
    constexpr std::size_t batch = 64;
    std::array<iovec, batch> parts;
    while (!c.outgoing.empty()) {
        std::size_t count = 0;
        for (; count < batch && count < c.outgoing.size(); ++count) {
            auto& frame = c.outgoing[count];
            auto const skip = count == 0 ? c.first_sent : 0;
            parts[count] = iovec{frame.data() + skip, frame.size() - skip};
        }
        msghdr message{};
        message.msg_iov = parts.data();
        message.msg_iovlen = count;
        auto const n = ::sendmsg(c.socket.native_handle(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && would_block(errno)) {
            arm_write(c);
            return;
        }
        if (n < 0) {
            end(c, close_code::abnormal);
            return;
        }
        // Drop what went out.
        auto left = static_cast<std::size_t>(n);
        c.queued -= left;
        std::size_t done = 0;
        while (done < c.outgoing.size() && left >= c.outgoing[done].size() - c.first_sent) {
            left -= c.outgoing[done].size() - c.first_sent;
            c.first_sent = 0;
            ++done;
        }
        c.first_sent += left;
        c.outgoing.erase(c.outgoing.begin(), c.outgoing.begin() + static_cast<std::ptrdiff_t>(done));
    }
    all_sent(c);
}

void websocket_server::all_sent(connection& c)
{
    // An idle connection keeps no buffer.
    std::vector<std::string>().swap(c.outgoing);
    c.first_sent = 0;
    c.queued = 0;
    if (c.close_sent && !c.write_shut) {
        // Nothing follows a close frame; the client sees the end of the stream after it.
        c.write_shut = true;
        boost::system::error_code ignored;
        c.socket.shutdown(tcp::socket::shutdown_send, ignored);
    }
    if (c.end_when_sent)
        end(c, c.close_code);
}

void websocket_server::start_close(connection& c, std::uint16_t code, std::string_view reason)
{
    bool const handshake = c.state == connection::phase::handshake;
    if (c.state != connection::phase::open && !handshake)
        return;
    c.state = connection::phase::closing;
    c.close_code = code;
    c.close_sent = true;
    c.close_deadline = clock::now() + (stopping_ ? std::min(limits_.pong_timeout, shutdown_close_timeout)
                                                 : std::chrono::seconds(limits_.pong_timeout));
    auto const payload = ws::close_payload(code, reason);
    if (handshake) {
        queue(c, opcode::close, payload, 0); // sent behind the 101 by open()
        return;
    }
    send_frame(c, opcode::close, payload);
    if (c.state != connection::phase::ended)
        schedule(c);
}

void websocket_server::close_received(connection& c, std::uint16_t code)
{
    if (c.state == connection::phase::open) {
        // The client closes first: the same code back (none when it sent none), then the end.
        c.state = connection::phase::closing;
        c.close_code = code;
        c.close_sent = true;
        c.end_when_sent = true;
        c.close_deadline = clock::now() + limits_.pong_timeout;
        send_frame(c, opcode::close, code == close_code::no_status ? std::string() : ws::close_payload(code, {}));
        if (c.state != connection::phase::ended)
            schedule(c);
        return;
    }
    // The answer to ours: the handshake is complete once our frames are out.
    c.end_when_sent = true;
    if (c.outgoing.empty())
        end(c, c.close_code);
}

void websocket_server::end(connection& c, std::uint16_t code)
{
    if (c.state == connection::phase::ended)
        return;
    c.state = connection::phase::ended;
    boost::system::error_code ignored;
    c.socket.close(ignored);
    c.timer.cancel();
    std::vector<std::string>().swap(c.outgoing);
    connections_.erase(c.registration);
    --*c.sessions;
    log::debug("websocket", "connection ended with ", code);
    // The handler goes now; the object once the completions cancelled above have run.
    if (auto handler = std::move(c.handler))
        handler->on_close(code);
    ++c.pending;
    asio::post(io_, [this, &c] {
        --c.pending;
        settle(c);
    });
    if (stopping_ && connections_.empty() && on_closed_)
        std::exchange(on_closed_, nullptr)();
}

void websocket_server::end_soon(connection& c)
{
    if (c.state == connection::phase::ended)
        return;
    c.state = connection::phase::closing;
    c.close_sent = true; // nothing more is sent
    ++c.pending;
    asio::post(io_, [this, &c] {
        --c.pending;
        end(c, close_code::abnormal);
        settle(c);
    });
}

void websocket_server::settle(connection& c)
{
    if (c.state == connection::phase::ended && c.pending == 0)
        delete &c;
}

websocket_server::clock::time_point websocket_server::next_deadline(connection const& c) const
{
    if (c.state == connection::phase::closing)
        return c.close_deadline;
    if (c.awaiting_pong)
        return std::min(c.lifetime_end, c.ping_sent + limits_.pong_timeout);
    return std::min(c.lifetime_end, c.last_frame + limits_.inactivity_timeout);
}

void websocket_server::schedule(connection& c)
{
    // One timer per connection, armed for its earliest deadline. It is not re-armed when a
    // frame arrives (that only moves the deadline later): when it fires early, it re-arms.
    auto const next = next_deadline(c);
    if (c.timer_armed && c.timer_expiry <= next)
        return;
    c.timer_armed = true;
    c.timer_expiry = next;
    c.timer.expires_at(next);
    ++c.pending;
    c.timer.async_wait([this, &c](boost::system::error_code ec) {
        --c.pending;
        if (!ec && c.state != connection::phase::ended) {
            c.timer_armed = false;
            on_timer(c);
        }
        settle(c);
    });
}

void websocket_server::on_timer(connection& c)
{
    auto const now = clock::now();
    if (c.state == connection::phase::closing) {
        if (now >= c.close_deadline) {
            log::debug("websocket", "no answer to the close frame: dropping the connection");
            end(c, c.close_code);
            return;
        }
    }
    else if (now >= c.lifetime_end) {
        start_close(c, close_code::keep_alive_timeout, "keep-alive timeout");
    }
    else if (c.awaiting_pong && now >= c.ping_sent + limits_.pong_timeout) {
        log::debug("websocket", "no answer to a ping: dropping the connection");
        end(c, close_code::abnormal);
        return;
    }
    else if (!c.awaiting_pong && now >= c.last_frame + limits_.inactivity_timeout) {
        c.awaiting_pong = true;
        c.ping_sent = now;
        send_frame(c, opcode::ping, {});
    }
    if (c.state != connection::phase::ended)
        schedule(c);
}

} // namespace lp
