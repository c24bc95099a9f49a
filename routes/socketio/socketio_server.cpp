#include "routes/socketio/socketio_server.hpp"

#include "orm_bridge/log.hpp"
#include "routes/bus/message_rate.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace lp::sio {
namespace json = boost::json;
namespace asio = boost::asio;

namespace {
/// An encoded packet and its attachments, to one client (the same bytes, to many, in a broadcast).
void write(eio::connection& conn, eio::message_text const& message, std::vector<std::string> const& attachments)
{
    conn.send(message);
    for (auto const& bytes : attachments)
        conn.send(bytes, true);
}
} // namespace

/// What Socket.IO keeps per Engine.IO session: its sockets by namespace, a binary packet
/// waiting for its attachments, the rate of its packets, and the connect timeout.
struct socket::client final : eio::connection::attachment {
    client(eio::connection& c, asio::any_io_executor executor, server_settings const& config)
        : conn(c), rate(config.rate_limit_burst, config.rate_limit_delay), connect_timer(executor)
    {
    }

    /// v5 over EIO=4; v4 (socket.io 2.x) over EIO=3.
    bool v4() const { return conn.protocol() == 3; }

    eio::connection& conn;
    std::map<std::string, std::shared_ptr<socket>> sockets;
    std::optional<packet> partial; ///< a binary packet waiting for its attachments
    std::size_t partial_bytes = 0; ///< its text and attachments so far (maxPayload)
    bus::message_rate rate;        ///< the client's packets
    asio::steady_timer connect_timer;
    std::shared_ptr<int> alive = std::make_shared<int>(); ///< for the timer's completion
};

namespace {
socket::client& client_of(eio::connection& c) { return static_cast<socket::client&>(*c.attached); }

/// [event, args...] as an EVENT packet of `nsp`.
packet event_packet(std::string const& nsp, std::string_view event, arguments a)
{
    json::array data;
    data.reserve(a.args.size() + 1);
    data.emplace_back(event);
    for (auto& item : a.args)
        data.push_back(std::move(item));
    packet p{packet_type::event, nsp, std::nullopt, json::value(std::move(data)), std::move(a.attachments)};
    return p;
}
} // namespace

std::string const& socket::cookie() const
{
    static std::string const none;
    return client_ ? client_->conn.cookie() : none;
}

void socket::send(packet p)
{
    if (connected_ && client_)
        write(client_->conn, eio::message_text(encode(p)), p.attachments);
}

void socket::emit(std::string_view event, arguments a)
{
    send(event_packet(nsp_->path(), event, std::move(a)));
}

std::optional<std::uint64_t> socket::emit_with_ack(std::string_view event, arguments a,
                                                   std::function<void(arguments)> on_reply, std::function<void()> on_gone)
{
    if (!connected_)
        return std::nullopt; // an entry now would never be answered nor cleared
    auto p = event_packet(nsp_->path(), event, std::move(a));
    auto const id = next_ack_++;
    p.id = id;
    acks_.emplace(id, pending_ack{std::move(on_reply), std::move(on_gone)});
    send(std::move(p));
    return id;
}

void socket::join(std::string const& room)
{
    if (rooms_.insert(room).second)
        nsp_->rooms_[room].insert(this);
}

void socket::leave(std::string const& room)
{
    if (rooms_.erase(room) == 0)
        return;
    auto const found = nsp_->rooms_.find(room);
    if (found == nsp_->rooms_.end())
        return;
    found->second.erase(this);
    if (found->second.empty())
        nsp_->rooms_.erase(found);
}

void socket::broadcast(std::string_view event, arguments a, std::string const& room)
{
    nsp_->emit(event, std::move(a), room, this);
}

void socket::disconnect() { end("server namespace disconnect", true); }

void socket::end(std::string_view reason, bool tell_client)
{
    if (!connected_)
        return;
    auto const keep = shared_from_this(); // the client's map may hold the last reference
    if (tell_client)
        send({packet_type::disconnect, nsp_->path(), std::nullopt, std::nullopt, {}});
    connected_ = false;
    for (auto const rooms = rooms_; auto const& room : rooms)
        leave(room);
    nsp_->remove_member(*this);
    // Whoever waits for an ack hears at once that none will come.
    for (auto& [id, waiting] : std::exchange(acks_, {}))
        if (waiting.on_gone)
            waiting.on_gone();
    if (client_)
        client_->sockets.erase(nsp_->path());
    nsp_->on_disconnect(*this, reason);
    client_ = nullptr;
}

void name_space::emit(std::string_view event, arguments a, std::string const& room, socket const* except)
{
    std::unordered_set<socket*> const* in_room = nullptr;
    if (!room.empty()) {
        auto const found = rooms_.find(room);
        if (found == rooms_.end())
            return;
        in_room = &found->second;
    }
    // Encoded once for every receiver, down to the Engine.IO packet. (Sending never ends a
    // socket before the pass is over: eio::connection::send does not call back.)
    auto const p = event_packet(path_, event, std::move(a));
    eio::message_text const message(encode(p));
    if (!in_room) {
        for (auto const& m : members_)
            if (m.s != except)
                write(*m.conn, message, p.attachments);
        return;
    }
    for (auto* s : *in_room)
        if (s != except && s->connected_ && s->client_)
            write(s->client_->conn, message, p.attachments);
}

void name_space::add_member(socket& s, eio::connection& conn)
{
    s.member_at_ = members_.size();
    members_.push_back({&s, &conn});
}

void name_space::remove_member(socket& s)
{
    auto& last = members_.back();
    last.s->member_at_ = s.member_at_;
    members_[s.member_at_] = last;
    members_.pop_back();
}

server::server(asio::any_io_executor executor, server_settings config)
    : executor_(std::move(executor)), config_(config)
{
}

server::~server() = default;

void server::add(std::unique_ptr<name_space> ns)
{
    auto const path = ns->path();
    if (path.empty() || path.front() != '/')
        throw std::invalid_argument("Socket.IO namespace '" + path + "' must start with '/'");
    if (!namespaces_.emplace(path, std::move(ns)).second)
        throw std::invalid_argument("Socket.IO namespace '" + path + "' is registered twice");
    log::info("socketio", "Add namespace: '", path, "'");
}

name_space* server::find(std::string const& path) const
{
    auto const found = namespaces_.find(path);
    return found == namespaces_.end() ? nullptr : found->second.get();
}

void server::on_open(eio::connection& c)
{
    c.attached = std::make_unique<socket::client>(c, executor_, config_);
    auto& cl = client_of(c);
    if (cl.v4()) {
        // socket.io 2.x: every client is in the main namespace from the start.
        connect(cl, packet{packet_type::connect, "/", std::nullopt, std::nullopt, {}});
        return;
    }
    cl.connect_timer.expires_after(config_.connect_timeout);
    cl.connect_timer.async_wait([alive = std::weak_ptr<int>(cl.alive), &cl](boost::system::error_code ec) {
        if (!ec && !alive.expired() && cl.sockets.empty())
            cl.conn.close();
    });
}

void server::on_message(eio::connection& c, std::string_view data, bool binary)
{
    auto& cl = client_of(c);
    if (binary) {
        if (!cl.partial) {
            close_client(cl, "an attachment nobody announced");
            return;
        }
        cl.partial_bytes += data.size();
        if (cl.partial_bytes > config_.max_payload) {
            close_client(cl, "a packet with its attachments larger than maxPayload");
            return;
        }
        cl.partial->attachments.emplace_back(data);
        if (cl.partial->attachments.size() == cl.partial->expected_attachments) {
            auto p = std::move(*cl.partial);
            cl.partial.reset();
            receive(cl, std::move(p));
        }
        return;
    }
    if (!cl.rate.allow(bus::message_rate::clock::now())) {
        close_client(cl, "packets faster than socketio_rate_limit_burst/_delay allow");
        return;
    }
    if (data.size() > config_.max_payload) {
        close_client(cl, "a packet larger than maxPayload");
        return;
    }
    auto p = cl.partial ? std::nullopt : decode(data);
    if (!p) {
        close_client(cl, "a malformed packet");
        return;
    }
    if (p->expected_attachments > 0) {
        cl.partial = std::move(*p);
        cl.partial_bytes = data.size();
    }
    else
        receive(cl, std::move(*p));
}

void server::close_client(socket::client& cl, std::string_view why)
{
    log::debug("socketio", "closing connection ", cl.conn.id(), ": ", why);
    cl.conn.close();
}

void server::receive(socket::client& cl, packet p)
{
    if (p.type == packet_type::connect) {
        connect(cl, p);
        return;
    }
    if (p.type == packet_type::connect_error) {
        cl.conn.close(); // only servers send those
        return;
    }
    auto const found = cl.sockets.find(p.nsp);
    if (found == cl.sockets.end())
        return; // not (or no longer) in that namespace: dropped, as the reference server does
    auto const s = found->second; // alive through the handler, even if it leaves
    switch (p.type) {
    case packet_type::disconnect: s->end("client namespace disconnect", false); return;
    case packet_type::event:
    case packet_type::binary_event: {
        auto args = std::move(p.data->get_array());
        auto const& first = args.front();
        auto const name = first.is_string() ? std::string(first.get_string()) : json::serialize(first);
        args.erase(args.begin());
        ack reply;
        if (p.id)
            reply = ack([weak = std::weak_ptr<socket>(s), id = *p.id](arguments a) {
                if (auto target = weak.lock())
                    target->send({packet_type::ack, target->nsp().path(), id, json::value(std::move(a.args)),
                                  std::move(a.attachments)});
            });
        s->nsp().on_event(*s, name, {std::move(args), std::move(p.attachments)}, std::move(reply));
        return;
    }
    case packet_type::ack:
    case packet_type::binary_ack: {
        if (!p.id)
            return;
        auto const waiting = s->acks_.find(*p.id);
        if (waiting == s->acks_.end())
            return;
        auto on_reply = std::move(waiting->second.on_reply);
        s->acks_.erase(waiting);
        on_reply({std::move(p.data->get_array()), std::move(p.attachments)});
        return;
    }
    default: return;
    }
}

void server::connect(socket::client& cl, packet const& p)
{
    // v4 clients put their query after the namespace: "/admin?token=1".
    auto const path = p.nsp.substr(0, p.nsp.find('?'));
    auto* ns = find(path);
    auto refuse = [&](std::string const& message) {
        json::value data = cl.v4() ? json::value(message) : json::value(json::object{{"message", message}});
        write(cl.conn, eio::message_text(encode({packet_type::connect_error, p.nsp, std::nullopt, std::move(data), {}})), {});
    };
    if (!ns) {
        refuse("Invalid namespace");
        return;
    }
    if (cl.sockets.contains(path))
        return; // already there
    auto s = std::make_shared<socket>();
    s->id_ = eio::random_id();
    s->nsp_ = ns;
    s->client_ = &cl;
    s->auth_ = p.data ? *p.data : json::object{};
    if (auto const error = ns->authorize(*s)) {
        refuse(*error);
        return;
    }
    cl.sockets.emplace(path, s);
    cl.connect_timer.cancel();
    ns->add_member(*s, cl.conn);
    s->connected_ = true;
    s->join(s->id_);
    json::value handshake = json::object{{"sid", s->id_}};
    s->send({packet_type::connect, path, std::nullopt, cl.v4() ? std::optional<json::value>() : handshake, {}});
    ns->on_connect(*s);
}

void server::on_close(eio::connection& c, eio::close_reason reason)
{
    auto& cl = client_of(c);
    cl.connect_timer.cancel();
    auto const sockets = cl.sockets;
    for (auto const& [path, s] : sockets)
        s->end(eio::describe(reason), false);
}

} // namespace lp::sio
