#include "server/http_server.hpp"

#include "server/departure_watch.hpp"

#include "orm_bridge/limits_hit.hpp"
#include "orm_bridge/log.hpp"
#include "routes/cors.hpp"
#include "server/lingering_close.hpp"
#include "server/websocket_server.hpp"
#include "server/server_metrics.hpp"
#include "server/request_framing.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <charconv>

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
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
        return 431;
    if (ec == http::error::body_limit)
        return 413;
    return 400;
}

std::string reason_for(unsigned status, beast::error_code ec)
{
    switch (status) {
    case 431: return "request header, chunk line or trailer too large";
    case 413: return "request body too large";
    default: return "malformed HTTP request: " + ec.message();
    }
}

/// Content-Type, Cookie, Origin and Host (the first of each, as a lookup would give) in one pass
/// over the fields: each lookup by name would be a search of their tree.
void take_request_fields(http::fields const& fields, incoming_request& in)
{
    struct wanted {
        http::field name;
        std::string& to;
        bool taken = false;
    } wanted_fields[] = {{http::field::content_type, in.content_type},
                         {http::field::cookie, in.cookie},
                         {http::field::origin, in.origin},
                         {http::field::host, in.host}};
    for (auto const& field : fields)
        for (auto& slot : wanted_fields)
            if (field.name() == slot.name && !std::exchange(slot.taken, true))
                slot.to = field.value();
}

/// The peer's address as text: IPv4 written here (glibc's inet_ntop goes through sprintf, a
/// noticeable part of an accept's user-space time), anything else by Asio.
std::string address_text(asio::ip::address const& address)
{
    if (!address.is_v4())
        return address.to_string();
    auto const bytes = address.to_v4().to_bytes();
    char text[16];
    char* at = text;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i > 0)
            *at++ = '.';
        at = std::to_chars(at, text + sizeof text, static_cast<unsigned>(bytes[i])).ptr;
    }
    return std::string(text, at);
}

/// The WebSocket handshake's parts of a request for one of the endpoints, else null.
std::unique_ptr<websocket_upgrade> websocket_upgrade_of(websocket_server const& websockets,
                                                        http::request<http::string_body> const& message,
                                                        bool proxy_mode)
{
    auto const target = std::string_view(message.target());
    auto const query_at = target.find('?');
    auto const* endpoint = websockets.match(target.substr(0, query_at));
    if (!endpoint)
        return nullptr;
    // (a missing field reads as "")
    if (endpoint->shares_path_with_http && !beast::iequals(message[http::field::upgrade], "websocket"))
        return nullptr; // a plain request for the HTTP side of the path
    auto upgrade = std::make_unique<websocket_upgrade>();
    upgrade->endpoint = endpoint;
    upgrade->handshake = ws::handshake_request_of(message);
    auto& request = upgrade->request;
    request.path = std::string(target.substr(0, query_at));
    request.query = query_at == std::string_view::npos ? std::string() : std::string(target.substr(query_at + 1));
    request.cookie = std::string(message[http::field::cookie]);
    request.origin = std::string(message[http::field::origin]);
    request.host = std::string(message[http::field::host]);
    request.user_agent = std::string(message[http::field::user_agent]);
    if (auto const proto = message["X-Forwarded-Proto"]; proxy_mode && !proto.empty())
        request.scheme = std::string(proto);
    return upgrade;
}
} // namespace

/// One accepted connection. It outlives the coroutines that serve it: while a reply is
/// deferred (a parked bus poll) it is all that is left of the request, on the heap.
struct http_server::connection {
    explicit connection(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;                 ///< while no coroutine runs (parked)
    beast::tcp_stream* stream = nullptr; ///< while a coroutine serves it
    beast::flat_buffer buffer;          ///< bytes of a pipelined next request, if any
    bool idle = false;                  ///< waiting for a request: safe to close at shutdown
    unsigned version = 11;
    bool keep_alive = true;
    std::list<connection*>::iterator registration;
    std::list<connection*>::iterator idle_at; ///< in idle_, while idle
    std::string peer;                   ///< the peer's IP address
    std::string address;                ///< the address counted for it, if any
    unsigned refusal = 0;               ///< 429: over max_connections_per_ip, answered so and closed
};

void http_server::connection_deleter::operator()(connection* c) const noexcept
{
    server->set_idle(*c, false);
    if (!c->address.empty())
        server->per_address_.release(c->address);
    server->connections_.erase(c->registration);
    delete c;
    server->check_closed();
}

void http_server::check_closed()
{
    if (stopping_ && connections_.empty() && websockets_closed_ && on_closed_)
        std::exchange(on_closed_, nullptr)();
}

http_server::http_server(asio::io_context& io, tcp::endpoint endpoint, http_limits limits, dispatcher& requests)
    : io_(io), acceptor_(io), limits_(limits), dispatcher_(requests), per_address_(limits.max_connections_per_ip)
{
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    // Accepted sockets inherit TCP_NODELAY from the listener (Linux): no setsockopt per accept.
    acceptor_.set_option(tcp::no_delay(true));
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
    for (auto* c : idle_)
        c->stream->cancel();
    for (auto* refusal : refusals_)
        refusal->cancel();
    if (websockets_) {
        websockets_closed_ = false;
        websockets_->stop([this] {
            websockets_closed_ = true;
            check_closed();
        });
    }
    check_closed();
}

asio::awaitable<void> http_server::accept_loop()
{
    auto executor = co_await asio::this_coro::executor;
    tcp::endpoint peer;
    while (!stopping_) {
        // The peer's address from accept itself (no getpeername call per connection).
        auto [ec, socket] = co_await acceptor_.async_accept(peer, use_tuple);
        if (stopping_ || ec == asio::error::operation_aborted)
            break;
        if (ec) {
            // Out of descriptors (EMFILE/ENFILE) or a transient error: pause instead of spinning.
            log::warning("http", "accept failed: ", ec.message());
            if (ec == asio::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system)
                count_limit_hit(limit::descriptors);
            asio::steady_timer pause(executor, std::chrono::milliseconds(100));
            co_await pause.async_wait(use_tuple);
            continue;
        }
        if (limits_.max_connections != 0 && connections_.size() >= limits_.max_connections && !make_room()) {
            count_limit_hit(limit::max_connections);
            asio::co_spawn(executor, refuse_at_cap(std::move(socket)), asio::detached);
            continue;
        }
        connection_ptr c(new connection(std::move(socket)), connection_deleter{this});
        connections_.push_front(c.get());
        c->registration = connections_.begin();
        c->peer = address_text(peer.address());
        if (!limits_.proxy_mode && !count_address(*c, c->peer))
            c->refusal = 429;
        spawn(std::move(c), {}, false);
    }
}

asio::awaitable<void> http_server::refuse_at_cap(tcp::socket socket)
{
    // Every connection is busy (parked polls): no room, and no descriptor to spare for a
    // conversation. A best-effort answer without reading the request; a few linger (from
    // descriptor_reserve), the rest close at once.
    static constexpr std::string_view full = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
                                             "Content-Length: 0\r\nConnection: close\r\n\r\n";
    constexpr std::size_t most_lingering = 8; // within descriptor_reserve (at least 16)
    count_response(503);
    ::send(socket.native_handle(), full.data(), full.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (refusals_.size() >= most_lingering || stopping_)
        co_return;
    beast::tcp_stream stream(std::move(socket));
    auto const registration = refusals_.insert(refusals_.end(), &stream); // for stop() to cancel
    co_await lingering_close(stream, std::chrono::seconds(1));
    refusals_.erase(registration);
}

void http_server::set_idle(connection& c, bool idle)
{
    if (idle == c.idle)
        return;
    c.idle = idle;
    if (idle)
        c.idle_at = idle_.insert(idle_.end(), &c);
    else
        idle_.erase(c.idle_at);
}

bool http_server::make_room()
{
    if (idle_.empty())
        return false;
    auto* oldest = idle_.front();
    set_idle(*oldest, false); // its read ends with operation_aborted, and it closes
    oldest->stream->cancel();
    log::debug("http", "at max_connections (", limits_.max_connections, "): closed the oldest idle connection");
    return true;
}

asio::awaitable<void> http_server::linger(connection& c, beast::tcp_stream& stream)
{
    if (stopping_)
        co_return; // shutting down: the reply is out, closing fast matters more
    set_idle(c, true);
    co_await lingering_close(stream, lingering_time);
    set_idle(c, false);
}

bool http_server::count_address(connection& c, std::string const& address)
{
    if (address == c.address)
        return true;
    if (!c.address.empty())
        per_address_.release(std::exchange(c.address, std::string()));
    if (!per_address_.admit(address))
        return false;
    c.address = address;
    return true;
}

void http_server::spawn(connection_ptr c, std::string pending, bool close_after)
{
    asio::co_spawn(io_, serve(std::move(c), std::move(pending), close_after), [](std::exception_ptr e) {
        if (e)
            try {
                std::rethrow_exception(e);
            }
            catch (std::exception const& x) {
                log::error("http", "connection failed: ", x.what());
            }
    });
}

namespace {
using header_list = std::vector<std::pair<std::string, std::string>>;

/// Appends a response's status line and headers up to the Content-Length value to `to`:
/// written by hand, since each answer is a status line, a few headers and a body, and the
/// answers of a fan-out are put one after another in one buffer.
void append_head_start(std::string& to, unsigned status, std::string_view content_type, header_list const& headers,
                       unsigned version)
{
    auto const reason = http::obsolete_reason(static_cast<http::status>(status));
    char digits[24];
    to.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    to.append(digits, static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, status).ptr - digits));
    to.append(" ").append(reason.data(), reason.size()).append("\r\nServer: ").append(server_name);
    to.append("\r\nContent-Type: ").append(content_type).append("\r\nCache-Control: no-store");
    for (auto const& [name, value] : headers)
        to.append("\r\n").append(name).append(": ").append(value);
    to.append("\r\nContent-Length: ");
}

/// The rest of the head: the Content-Length value, the connection's fate, the blank line.
void append_head_end(std::string& to, std::size_t content_length, unsigned version, bool keep_alive)
{
    char digits[24];
    to.append(digits, static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, content_length).ptr - digits));
    if (!keep_alive && version != 10)
        to.append("\r\nConnection: close");
    else if (keep_alive && version == 10)
        to.append("\r\nConnection: keep-alive");
    to.append("\r\n\r\n");
}

void append_head(std::string& to, unsigned status, std::string_view content_type, header_list const& headers,
                 std::size_t content_length, unsigned version, bool keep_alive)
{
    count_response(status);
    append_head_start(to, status, content_type, headers, version);
    append_head_end(to, content_length, version, keep_alive);
}

void append_response(std::string& to, outgoing_response const& out, unsigned version, bool keep_alive)
{
    append_head(to, out.status, out.content_type, out.headers, out.body.size(), version, keep_alive);
    to.append(out.body);
}

/// The head of a deferred JSON reply up to its Content-Length value.
std::string json_head_start(unsigned version, bool cors)
{
    static header_list const none, with_cors = [] {
        header_list any;
        lp::cors::allow_any_origin(any);
        return any;
    }();
    std::string start;
    append_head_start(start, 200, "application/json", cors ? with_cors : none, version);
    return start;
}

/// The same for a deferred reply: a JSON result's body is written from its pieces, with no
/// response object in between.
void append_ready(std::string& to, ready_reply const& ready, unsigned version, bool keep_alive)
{
    if (ready.response) {
        append_response(to, *ready.response, version, keep_alive);
        return;
    }
    // The head up to Content-Length is the same for every such reply of its shape (HTTP
    // version, CORS): written once, then copied whole into each reply of a fan-out.
    static std::string const starts[2][2] = {
        {json_head_start(11, false), json_head_start(11, true)},
        {json_head_start(10, false), json_head_start(10, true)},
    };
    count_response(200);
    to.append(starts[version == 10][ready.cors]);
    append_head_end(to, ready.open.size() + ready.result_json.size() + ready.close.size(), version, keep_alive);
    to.append(ready.open).append(ready.result_json).append(ready.close);
}

/// Replies sent per burst. A fan-out answers thousands of polls in one go; their bytes are
/// gathered in one buffer and sent back to back (kernel send calls are most of a fan-out's
/// time), and the coroutines that serve the connections' next requests start only after the
/// whole fan-out, since none of its replies should wait for them.
constexpr std::size_t burst_size = 256;
} // namespace

void http_server::answer_parked(connection_ptr c, ready_reply const& ready)
{
    bool const keep_alive = c->keep_alive && !stopping_;
    auto const begin = outbox_bytes_.size();
    append_ready(outbox_bytes_, ready, c->version, keep_alive);
    outbox_.push_back({std::move(c), begin, outbox_bytes_.size() - begin, keep_alive});
    if (outbox_.size() >= burst_size)
        flush_outbox();
    else if (!flush_posted_) {
        // The rest of the current fan-out (or a lone reply) goes once the caller is done.
        flush_posted_ = true;
        asio::post(io_, [this] {
            flush_posted_ = false;
            flush_outbox();
            // The end of a fan-out (or a lone reply): what its sends cost, apart from the
            // bookkeeping before them (the bus logs the whole).
            log::debug("http", "sent ", sent_replies_, " replies in ",
                       std::chrono::duration<double, std::milli>(send_time_).count(), " ms of send calls");
            sent_replies_ = 0;
            send_time_ = {};
        });
    }
}

void http_server::flush_outbox()
{
    // Taken out first (swapped with spares that keep their capacity, so that a fan-out
    // allocates no large block per burst): whatever happens below, no entry is seen twice,
    // and what a flush that failed midway left is dropped here (its connections closed).
    sending_.clear();
    sending_bytes_.clear();
    std::swap(outbox_, sending_);
    std::swap(outbox_bytes_, sending_bytes_);
    // Straight onto the sockets, without a coroutine or an asynchronous operation: a reply is
    // small, a socket nearly always takes it whole. MSG_DONTWAIT: non-blocking for this call
    // only, whatever the socket's mode, with no extra system call to set it.
    auto const sends_start = std::chrono::steady_clock::now();
    for (auto& out : sending_) {
        auto const n = ::send(out.c->socket.native_handle(), sending_bytes_.data() + out.begin, out.size,
                              MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            out.c.reset(); // the client has gone: closes the socket
            continue;
        }
        auto const sent = n < 0 ? std::size_t{0} : static_cast<std::size_t>(n);
        if (sent == out.size && !out.keep_alive) {
            beast::error_code ignored;
            out.c->socket.shutdown(tcp::socket::shutdown_send, ignored);
            out.c.reset();
            continue;
        }
        resuming_.push_back({std::move(out.c), sending_bytes_.substr(out.begin + sent, out.size - sent), !out.keep_alive});
    }
    send_time_ += std::chrono::steady_clock::now() - sends_start;
    sent_replies_ += sending_.size();
    sending_.clear();
    // A burst of very large answers (thousands of rows each) is not kept for good.
    constexpr std::size_t kept_bytes = 1 << 20;
    if (sending_bytes_.capacity() > kept_bytes)
        sending_bytes_ = std::string();
    sending_bytes_.clear();
    if (resuming_.empty() || resume_posted_)
        return;
    // The rest of a reply (if a socket was full), then the next request, in a coroutine of
    // the connection's own.
    resume_posted_ = true;
    asio::post(io_, [this] {
        resume_posted_ = false;
        resumed_.clear();
        std::swap(resuming_, resumed_);
        for (auto& r : resumed_)
            spawn(std::move(r.c), std::move(r.pending), r.close_after);
        resumed_.clear();
    });
}

asio::awaitable<bool> http_server::read_request(connection& c, beast::tcp_stream& stream, incoming_request& in,
                                                std::unique_ptr<websocket_upgrade>& upgrade)
{
    // Its own coroutine: the parser (and a refusal) live in this frame, gone once the request
    // is read, instead of in the connection's frame for as long as a handler waits. A new
    // parser per request: limits apply to each message, not to the connection.
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits_.header_limit));
    parser.body_limit(limits_.body_limit);
    // What the parser holds unparsed is a header, a chunk-size line or a trailer section (body
    // data goes straight into the body): each is held to the header limit by the buffer's.
    c.buffer.max_size(limits_.header_limit);

    // A refused connection (429) gets little time to send the request it is answered for.
    stream.expires_after(c.refusal ? std::chrono::seconds(2) : limits_.header_timeout);
    auto [header_ec, header_bytes] = co_await http::async_read_header(stream, c.buffer, parser, use_tuple);
    beast::error_code ec = header_ec;
    std::optional<framing_refusal> refusal;
    if (!ec && (refusal = check_framing(parser.get().base(), parser.get().version())))
        ec = http::error::bad_transfer_encoding;
    if (!ec) {
        set_idle(c, false);
        auto const& header = parser.get();
        if (header[http::field::expect] == "100-continue" && !parser.is_done()) {
            // curl waits for this before sending a large body.
            http::response<http::empty_body> go_on{http::status::continue_, header.version()};
            stream.expires_after(limits_.body_timeout);
            auto [continue_ec, continue_bytes] = co_await http::async_write(stream, go_on, use_tuple);
            ec = continue_ec;
        }
        if (!ec && !parser.is_done()) {
            stream.expires_after(limits_.body_timeout);
            auto [body_ec, body_bytes] = co_await http::async_read(stream, c.buffer, parser, use_tuple);
            ec = body_ec;
        }
    }
    if (ec) {
        auto const status = refusal ? refusal->status : status_for_read_error(ec);
        // A header timeout with nothing received is an idle keep-alive connection ending.
        if (ec == beast::error::timeout && (!header_ec || c.buffer.size() > 0))
            count_limit_hit(header_ec ? limit::http_header_timeout : limit::http_body_timeout);
        if (status == 431)
            count_limit_hit(limit::http_header_limit);
        if (status == 413)
            count_limit_hit(limit::http_body_limit);
        if (status == 0 || stopping_)
            co_return false;
        count_response(status);
        http::response<http::string_body> answer{static_cast<http::status>(status), 11};
        answer.set(http::field::server, server_name);
        answer.set(http::field::content_type, "text/plain; charset=utf-8");
        answer.body() = (refusal ? "malformed HTTP request: " + refusal->reason : reason_for(status, ec)) + "\n";
        answer.keep_alive(false);
        answer.prepare_payload();
        stream.expires_after(limits_.body_timeout);
        auto [write_ec, written] = co_await http::async_write(stream, answer, use_tuple);
        if (!write_ec)
            co_await linger(c, stream);
        co_return false;
    }
    auto message = parser.release();
    if (websockets_)
        upgrade = websocket_upgrade_of(*websockets_, message, limits_.proxy_mode);
    c.version = message.version();
    c.keep_alive = message.keep_alive();
    in.method = std::string(message.method_string());
    in.target = std::string(message.target());
    take_request_fields(message, in);
    in.body = std::move(message.body());
    in.client_address = client_address(message, c.peer, limits_.proxy_mode);
    if (limits_.proxy_mode && !count_address(c, in.client_address))
        c.refusal = 429;
    co_return true;
}

bool http_server::upgrade_to_websocket(connection& c, beast::tcp_stream& stream,
                                       std::unique_ptr<websocket_upgrade> upgrade, std::string& refusal)
{
    // Not in serve(): its locals would sit in every connection's coroutine frame.
    auto const early = c.buffer.data();
    auto answer = websockets_->open(stream.socket(), std::move(*upgrade),
                                    std::string_view(static_cast<char const*>(early.data()), early.size()));
    if (!answer)
        return true;
    refusal.clear();
    append_response(refusal, *answer, c.version, false);
    return false;
}

asio::awaitable<void> http_server::serve(connection_ptr c, std::string pending, bool close_after)
{
    beast::tcp_stream stream(std::move(c->socket));
    c->stream = &stream;

    for (;;) {
        if (!pending.empty()) {
            set_idle(*c, false);
            stream.expires_after(limits_.body_timeout);
            auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(pending), use_tuple);
            pending.clear();
            if (write_ec)
                break;
            if (close_after) {
                co_await linger(*c, stream);
                break;
            }
        }
        if (stopping_)
            break;
        set_idle(*c, true);
        incoming_request in;
        std::unique_ptr<websocket_upgrade> upgrade;
        if (!co_await read_request(*c, stream, in, upgrade))
            break;
        if (c->refusal) {
            count_limit_hit(limit::max_connections_per_ip);
            outgoing_response refused;
            refused.status = c->refusal;
            refused.content_type = "text/plain; charset=utf-8";
            refused.headers = {{"Retry-After", "1"}};
            refused.body = "too many connections from " + in.client_address + " (max_connections_per_ip)\n";
            pending.clear();
            append_response(pending, refused, c->version, false);
            close_after = true;
            continue;
        }
        // Nothing of the request is kept while the handler waits: parked requests stay small.
        stream.expires_never();
        if (upgrade) {
            if (upgrade_to_websocket(*c, stream, std::move(upgrade), pending)) {
                c->stream = nullptr;
                co_return; // the WebSocket transport has the socket now
            }
            close_after = true; // after the refusal in `pending`
            continue;
        }
        if (c->buffer.size() == 0)
            c->buffer.shrink_to_fit();

        // A client that leaves while its handler waits (a framework route's wait) ends it; one
        // that leaves while its reply is parked (a reload, an aborted poll) frees its slot.
        asio::cancellation_signal cancel_handler;
        auto watch = std::make_shared<request_watch>(cancel_handler);
        request_watch::start(stream.socket(), watch);
        // However this request ends (an exception included), its signal goes with it.
        struct signal_scope {
            request_watch& watch;
            ~signal_scope() { watch.answered(); }
        } const scope{*watch};
        auto out = co_await dispatcher_.dispatch(std::move(in), cancel_handler.slot());
        if (watch->client_gone()) {
            if (out.deferred)
                out.deferred->abandon(); // parked meanwhile (a bus poll): its holder forgets it
            break;                       // nobody to answer: close
        }
        if (out.deferred) {
            // Park: the socket goes back into the connection, this coroutine ends, and the
            // reply's arrival starts a new one that writes it and carries on. Moved out, not
            // release_socket(), which would cancel the watch: the same watch goes on.
            auto reply = std::move(out.deferred);
            bool const waiting = !reply->resolved();
            if (!waiting)
                stream.socket().cancel(); // answered already: ends the watch
            c->socket = std::move(stream.socket());
            c->stream = nullptr;
            connection* parked = c.release();
            if (waiting)
                watch->park(reply, [this, parked] {
                    connection_ptr(parked, connection_deleter{this}); // closes it
                });
            // The next coroutine of this connection is spawned from a posted handler (the
            // outbox's resumption), so this one is gone before it runs, even when the reply is
            // already there.
            reply->on_ready([this, parked](ready_reply const& ready) {
                answer_parked(connection_ptr(parked, connection_deleter{this}), ready);
            });
            co_return;
        }
        stream.socket().cancel(); // ends the watch
        bool const keep_alive = c->keep_alive && !stopping_;
        pending.clear();
        append_response(pending, out, c->version, keep_alive);
        close_after = !keep_alive;
    }
    set_idle(*c, false);
    c->stream = nullptr;
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

} // namespace lp
