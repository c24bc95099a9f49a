#include "routes/socketio/engineio_server.hpp"

#include "orm_bridge/log.hpp"
#include "routes/deferred_reply.hpp"
#include "routes/errors.hpp"
#include "routes/url.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <random>

namespace lp::eio {
namespace {
namespace asio = boost::asio;

/// The protocol's error codes, as the reference server numbers them.
enum error_code {
    transport_unknown = 0,
    session_id_unknown = 1,
    bad_handshake_method = 2,
    bad_request_code = 3,
    unsupported_protocol_version = 5,
};
char const* error_message(int code)
{
    switch (code) {
    case transport_unknown: return "Transport unknown";
    case session_id_unknown: return "Session ID unknown";
    case bad_handshake_method: return "Bad handshake method";
    case unsupported_protocol_version: return "Unsupported protocol version";
    default: return "Bad request";
    }
}

/// The query parameters Engine.IO reads.
struct query {
    std::string eio;
    std::string transport;
    std::string sid;
};
std::optional<query> read_query(std::string_view text)
{
    auto pairs = parse_query(text);
    if (!pairs)
        return std::nullopt;
    query q;
    for (auto& [key, value] : *pairs) {
        if (key == "EIO")
            q.eio = std::move(value);
        else if (key == "transport")
            q.transport = std::move(value);
        else if (key == "sid")
            q.sid = std::move(value);
    }
    return q;
}

/// 4, 3 (when allowed), or 0: unsupported.
int protocol_of(std::string const& eio, settings const& config)
{
    if (eio == "4")
        return 4;
    if (eio == "3" && config.allow_eio3)
        return 3;
    return 0;
}
} // namespace

struct server::state final : connection {
    state(asio::any_io_executor executor, std::string sid, int version, transport_kind transport,
          settings const& config, std::string cookie_header)
        : machine(std::move(sid), version, transport, config), heartbeat(executor), cookie_(std::move(cookie_header))
    {
    }

    std::string const& id() const override { return machine.sid(); }
    int protocol() const override { return machine.version(); }
    void send(std::string_view data, bool binary) override
    {
        bool const was_open = !machine.closed();
        machine.send({packet_type::message, std::string(data), binary});
        if (!owner)
            return;
        if (!machine.closed())
            owner->settle(self.lock());
        else if (was_open)
            owner->settle_later(self.lock()); // its backlog grew too long
    }
    void send(message_text const& m) override
    {
        // A broadcast's common case: straight to the socket, no copy and no outbox.
        if (websocket && machine.writes_through())
            websocket->send_text(m.packet());
        else
            send(m.data(), false);
    }
    void close() override
    {
        machine.close();
        if (owner)
            owner->settle(self.lock());
    }
    std::string const& cookie() const override { return cookie_; }

    session machine;
    asio::steady_timer heartbeat;
    std::shared_ptr<deferred_reply> poll; ///< the parked GET
    std::string poll_origin;              ///< its Origin, for CORS
    websocket_session* websocket = nullptr;
    websocket_session* probe = nullptr; ///< a WebSocket asking to take over
    bool opened = false;                ///< the application has heard on_open
    bool finished = false;              ///< the application has heard on_close
    server* owner = nullptr;
    std::weak_ptr<state> self;
    std::string cookie_;
};

/// The handler of a session's WebSocket (or of one probing to take over).
class server::socket_handler final : public websocket_handler {
public:
    socket_handler(server& owner, std::shared_ptr<state> const& st, bool probe)
        : owner_(owner), state_(st), probe_(probe)
    {
    }
    void on_message(websocket_session&, std::string_view data, bool binary) override
    {
        if (auto st = state_.lock()) {
            owner_.websocket_message(st, probe_, data, binary);
            probe_ = probe_ && st->probe != nullptr; // the upgrade made this the session's socket
        }
    }
    void on_close(std::uint16_t) override
    {
        auto st = state_.lock();
        if (!st)
            return;
        if (probe_) {
            st->probe = nullptr;
            st->machine.probe_failed();
            return;
        }
        st->websocket = nullptr;
        st->machine.transport_closed();
        owner_.settle(st);
    }

private:
    server& owner_;
    std::weak_ptr<state> state_;
    bool probe_;
};

server::server(asio::any_io_executor executor, server_settings config, application& app)
    : executor_(std::move(executor)), config_(std::move(config)), app_(app), cors_(config_.cors_origins)
{
}

server::~server()
{
    for (auto& [sid, st] : sessions_)
        st->owner = nullptr;
}

std::string random_id()
{
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // Straight from std::random_device (getrandom on Linux): ids must not be guessable.
    static std::random_device entropy;
    std::uniform_int_distribution<int> pick(0, 63);
    std::string id(20, ' ');
    for (auto& c : id)
        c = alphabet[pick(entropy)];
    return id;
}

std::shared_ptr<server::state> server::create(int version, transport_kind transport, std::string cookie)
{
    auto sid = random_id();
    while (sessions_.contains(sid))
        sid = random_id();
    auto st = std::make_shared<state>(executor_, std::move(sid), version, transport, config_, std::move(cookie));
    st->owner = this;
    st->self = st;
    sessions_.emplace(st->id(), st);
    arm_heartbeat(st, st->machine.heartbeat_delay());
    return st;
}

void server::add_cors(outgoing_response& out, std::string const& origin) const
{
    cors_.add_headers(out.headers, origin);
}

std::string server::trusted_cookie(std::string const& cookie, std::string const& origin, std::string_view host) const
{
    if (cookie.empty() || cors_.trusts_cookies(origin, host))
        return cookie;
    // A page of another site may open a socket, but not as its visitor (CSRF): public.
    log::debug("socketio", "Engine.IO handshake from origin '", origin, "': its cookies are not used");
    return {};
}

outgoing_response server::error(int code, std::string const& origin) const
{
    outgoing_response out;
    out.status = 400;
    out.content_type = "application/json";
    out.body = boost::json::serialize(boost::json::object{{"code", code}, {"message", error_message(code)}});
    add_cors(out, origin);
    return out;
}

outgoing_response server::handle_http(incoming_request const& in)
{
    auto const query_at = in.target.find('?');
    auto const q = read_query(query_at == std::string::npos ? std::string_view{}
                                                            : std::string_view(in.target).substr(query_at + 1));
    if (!q)
        return error(bad_request_code, in.origin);
    if (in.method == "OPTIONS") {
        auto preflight = cors::preflight("Content-Type");
        add_cors(preflight, in.origin);
        return preflight;
    }
    if (q->transport != "polling")
        return error(q->transport == "websocket" ? bad_request_code : transport_unknown, in.origin);
    auto const version = protocol_of(q->eio, config_);
    if (version == 0)
        return error(unsupported_protocol_version, in.origin);
    if (q->sid.empty()) {
        if (in.method != "GET")
            return error(bad_handshake_method, in.origin);
        auto st = create(version, transport_kind::polling, trusted_cookie(in.cookie, in.origin, in.host));
        outgoing_response out;
        out.content_type = "text/plain; charset=UTF-8";
        auto const open = st->machine.open_packet();
        out.body = encode_payload(std::span(&open, 1), version);
        add_cors(out, in.origin);
        st->opened = true;
        app_.on_open(*st); // may queue packets: the first poll takes them
        return out;
    }
    auto const found = sessions_.find(q->sid);
    if (found == sessions_.end())
        return error(session_id_unknown, in.origin);
    auto const st = found->second; // kept alive through settle(), which may erase it
    if (st->machine.transport() != transport_kind::polling)
        return error(bad_request_code, in.origin);
    if (in.method == "GET")
        return poll(st, in);
    if (in.method == "POST")
        return post(st, in);
    return error(bad_request_code, in.origin);
}

outgoing_response server::poll(std::shared_ptr<state> const& st, incoming_request const& in)
{
    auto const verdict = st->machine.on_poll();
    outgoing_response out;
    switch (verdict) {
    case session::poll_verdict::refused:
    case session::poll_verdict::overlap:
        settle(st); // the waiting poll hears "1"
        return error(bad_request_code, in.origin);
    case session::poll_verdict::answer:
        out.content_type = "text/plain; charset=UTF-8";
        out.body = st->machine.take_poll_reply();
        add_cors(out, in.origin);
        return out;
    case session::poll_verdict::park: break;
    }
    st->poll = std::make_shared<deferred_reply>();
    st->poll_origin = in.origin;
    st->poll->on_abandon([weak = st->self, this] {
        if (auto gone = weak.lock(); gone && gone->owner) {
            gone->poll = nullptr;
            gone->machine.poll_abandoned();
            settle(gone);
        }
    });
    out.deferred = st->poll;
    return out;
}

outgoing_response server::post(std::shared_ptr<state> const& st, incoming_request const& in)
{
    outgoing_response out;
    if (in.body.size() > config_.max_payload) {
        st->machine.close();
        settle(st);
        out.status = 413;
        out.content_type = "text/plain; charset=UTF-8";
        out.body = "payload too large (maxPayload)";
        add_cors(out, in.origin);
        return out;
    }
    auto received = st->machine.on_post(in.body, in.content_type.starts_with("application/octet-stream"));
    if (received.heard)
        arm_heartbeat(st, st->machine.heartbeat_delay());
    deliver(st, std::move(received.messages));
    settle(st);
    if (!received.ok)
        return error(bad_request_code, in.origin);
    out.content_type = "text/html";
    out.body = "ok";
    add_cors(out, in.origin);
    return out;
}

void server::deliver(std::shared_ptr<state> const& st, std::vector<packet> messages)
{
    for (auto const& message : messages) {
        if (st->machine.closed())
            return;
        app_.on_message(*st, message.data, message.binary);
    }
}

std::unique_ptr<websocket_handler> server::open_websocket(websocket_session& ws, websocket_request const& request)
{
    auto const q = read_query(request.query);
    if (!q || q->transport != "websocket")
        throw bad_request("Engine.IO: transport must be websocket");
    auto const version = protocol_of(q->eio, config_);
    if (version == 0)
        throw bad_request("Engine.IO: unsupported protocol version");
    if (q->sid.empty()) {
        auto st = create(version, transport_kind::websocket, trusted_cookie(request.cookie, request.origin, request.host));
        st->websocket = &ws;
        ws.send_text(encode_text(st->machine.open_packet()));
        auto handler = std::make_unique<socket_handler>(*this, st, false);
        st->opened = true;
        app_.on_open(*st);
        settle(st);
        return handler;
    }
    auto const found = sessions_.find(q->sid);
    if (found == sessions_.end())
        throw bad_request("Engine.IO: unknown sid");
    auto const& st = found->second;
    if (!st->machine.can_probe() || st->machine.version() != version) {
        // Upgraded or upgrading already: accepted and closed at once, as the reference does
        // (its client reads a refused handshake as an error, a close as "probe failed").
        ws.close(1000, "this session cannot upgrade");
        return std::make_unique<socket_handler>(*this, nullptr, false);
    }
    st->machine.start_probe();
    st->probe = &ws;
    return std::make_unique<socket_handler>(*this, st, true);
}

void server::websocket_message(std::shared_ptr<state> const& st, bool probe, std::string_view data, bool binary)
{
    auto const version = st->machine.version();
    // A message over maxPayload is refused below without being decoded (and copied) first.
    bool const oversized = !probe && data.size() > config_.max_payload;
    std::optional<packet> p;
    if (!oversized)
        p = binary ? decode_binary(data, version) : decode_text(data);
    if (probe) {
        if (!p)
            return;
        for (auto const& answer : st->machine.on_probe_frame(*p))
            st->probe->send_text(encode_text(answer));
        if (st->machine.transport() == transport_kind::websocket) {
            st->websocket = std::exchange(st->probe, nullptr);
        }
        settle(st);
        return;
    }
    session::received received;
    if (oversized) {
        // As the reference server's WebSocket does: 1009, and the session ends.
        if (auto* ws = std::exchange(st->websocket, nullptr))
            ws->close(1009, "message larger than maxPayload");
        st->machine.transport_closed(close_reason::transport_error);
    }
    else if (p && !(binary && data.empty()))
        received = st->machine.on_frame(*p);
    else {
        st->machine.transport_closed(close_reason::parse_error);
        received.ok = false;
    }
    if (received.heard)
        arm_heartbeat(st, st->machine.heartbeat_delay());
    deliver(st, std::move(received.messages));
    settle(st);
}

void server::settle(std::shared_ptr<state> const& st)
{
    if (!st)
        return;
    auto& machine = st->machine;
    if (st->websocket && machine.transport() == transport_kind::websocket) {
        for (auto const& p : machine.take_outbox()) {
            if (p.binary)
                st->websocket->send_binary(machine.version() == 3 ? '\x04' + p.data : p.data);
            else
                st->websocket->send_text(encode_text(p));
        }
    }
    if (st->poll && (machine.poll_ready() || !machine.poll_parked())) {
        // What waits, or "6" when the poll has nothing more to wait for (the upgrade).
        outgoing_response out;
        out.content_type = "text/plain; charset=UTF-8";
        out.body = machine.poll_ready() ? machine.take_poll_reply() : encode_text({packet_type::noop, {}});
        add_cors(out, st->poll_origin);
        std::exchange(st->poll, nullptr)->resolve_response(std::move(out));
    }
    if (!machine.closed() || st->finished)
        return;
    st->finished = true;
    st->heartbeat.cancel();
    if (auto* ws = std::exchange(st->websocket, nullptr))
        ws->close(1000);
    if (auto* ws = std::exchange(st->probe, nullptr))
        ws->close(1000);
    sessions_.erase(st->id());
    if (st->opened)
        app_.on_close(*st, machine.reason());
    st->attached.reset();
}

void server::settle_later(std::shared_ptr<state> const& st)
{
    asio::post(executor_, [weak = std::weak_ptr<state>(st)] {
        if (auto st = weak.lock(); st && st->owner)
            st->owner->settle(st);
    });
}

void server::arm_heartbeat(std::shared_ptr<state> const& st, std::chrono::milliseconds delay)
{
    st->heartbeat.expires_after(delay);
    st->heartbeat.async_wait([weak = st->self, this](boost::system::error_code ec) {
        auto st = weak.lock();
        if (ec || !st || !st->owner || st->finished)
            return;
        auto const next = st->machine.on_heartbeat();
        if (!st->machine.closed())
            arm_heartbeat(st, next);
        settle(st);
    });
}

void server::close_all()
{
    auto const all = sessions_;
    for (auto const& [sid, st] : all) {
        st->machine.close();
        settle(st);
    }
}

} // namespace lp::eio
