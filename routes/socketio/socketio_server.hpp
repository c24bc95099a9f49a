// Socket.IO over Engine.IO: namespaces multiplexed on one Engine.IO session, their
// CONNECT / DISCONNECT / CONNECT_ERROR handshakes, events with acks and binary attachments,
// rooms, and connectTimeout. Namespaces are objects of the author's (socketio_namespace).
#pragma once

#include "routes/socketio/engineio_server.hpp"
#include "routes/socketio/socketio_packet.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace lp::sio {

class server;
class name_space;

/// Event arguments: JSON, with `{"_placeholder":true,"num":N}` where binary attachment N goes.
struct arguments {
    boost::json::array args;
    std::vector<std::string> attachments;
};

/// The answer to an event the client sent with an ack id. Callable once; later calls and
/// calls after the socket left do nothing.
class ack {
public:
    ack() = default;
    ack(std::function<void(arguments)> send) : send_(std::move(send)) {}
    explicit operator bool() const { return static_cast<bool>(send_); }
    void operator()(arguments reply)
    {
        if (auto send = std::exchange(send_, nullptr))
            send(std::move(reply));
    }

private:
    std::function<void(arguments)> send_;
};

/// One client connected to one namespace. Valid until the namespace's on_disconnect has returned.
class socket : public std::enable_shared_from_this<socket> {
public:
    std::string const& id() const { return id_; }
    name_space& nsp() const { return *nsp_; }
    /// The CONNECT packet's auth payload ({} when none was sent).
    boost::json::value const& auth() const { return auth_; }
    /// The Engine.IO session's handshake Cookie header (the Odoo session_id lives there).
    std::string const& cookie() const;
    bool connected() const { return connected_; }

    void emit(std::string_view event, arguments a = {});
    /// Emits and calls `on_reply` with the client's ack, or `on_gone` (when given) if the socket
    /// leaves first. Returns the ack id (for forget_ack); nullopt when the socket has left
    /// already (nothing is sent, neither callback runs).
    std::optional<std::uint64_t> emit_with_ack(std::string_view event, arguments a, std::function<void(arguments)> on_reply,
                                std::function<void()> on_gone = {});
    /// Stops waiting for ack `id` (the caller gave up): neither callback runs.
    void forget_ack(std::uint64_t id) { acks_.erase(id); }
    /// Acks the server waits for.
    std::size_t pending_acks() const { return acks_.size(); }

    void join(std::string const& room);
    void leave(std::string const& room);
    std::unordered_set<std::string> const& rooms() const { return rooms_; }
    /// Emits to every socket of `room` but this one (to the namespace when `room` is empty).
    void broadcast(std::string_view event, arguments a, std::string const& room = {});

    /// Leaves the namespace (a DISCONNECT packet tells the client).
    void disconnect();

    /// What the namespace keeps per socket.
    struct attachment {
        virtual ~attachment() = default;
    };
    std::unique_ptr<attachment> attached;

    struct client; ///< the server's record of an Engine.IO session (socketio_server.cpp)

private:
    friend class server;
    friend class name_space;
    void send(packet p);
    /// Leaves the namespace: rooms, acks, the client's map; the namespace hears on_disconnect.
    void end(std::string_view reason, bool tell_client);

    std::string id_;
    name_space* nsp_ = nullptr;
    client* client_ = nullptr;
    boost::json::value auth_;
    std::unordered_set<std::string> rooms_;
    std::uint64_t next_ack_ = 0;
    struct pending_ack {
        std::function<void(arguments)> on_reply;
        std::function<void()> on_gone;
    };
    std::unordered_map<std::uint64_t, pending_ack> acks_;
    std::size_t member_at_ = 0; ///< its place in the namespace's members, while connected
    bool connected_ = false;
};

/// A namespace: what the author overrides, and its rooms.
class name_space {
public:
    explicit name_space(std::string path) : path_(std::move(path)) {}
    virtual ~name_space() = default;
    std::string const& path() const { return path_; }

    /// A client asks to join (before it is told it joined). Return an error message (sent
    /// as CONNECT_ERROR) to refuse.
    virtual std::optional<std::string> authorize(socket& s) { (void)s; return std::nullopt; }
    /// The client has joined (its CONNECT is answered): it may be sent events.
    virtual void on_connect(socket& s) { (void)s; }
    /// An event: its name, its other arguments, and the ack to call when the client asked for one.
    virtual void on_event(socket& s, std::string const& event, arguments a, ack reply) = 0;
    /// The socket leaves: `reason` as the reference server says it ("client namespace
    /// disconnect", "transport close", "ping timeout", "server namespace disconnect", ...).
    virtual void on_disconnect(socket& s, std::string_view reason) { (void)s; (void)reason; }

    /// Emits to every socket in `room` (every socket of the namespace when empty), but `except`.
    void emit(std::string_view event, arguments a, std::string const& room = {}, socket const* except = nullptr);
    std::size_t sockets() const { return members_.size(); }

private:
    friend class server;
    friend class socket;
    void add_member(socket& s, eio::connection& conn);
    void remove_member(socket& s);

    std::string path_;
    /// The connected sockets, in one array with each one's Engine.IO session: a broadcast to
    /// the namespace reads this and each receiver's session, nothing else per socket.
    struct member {
        socket* s;
        eio::connection* conn;
    };
    std::vector<member> members_;
    std::unordered_map<std::string, std::unordered_set<socket*>> rooms_;
};

struct server_settings {
    std::chrono::milliseconds connect_timeout{45000}; ///< a client that joins no namespace by then is closed
    /// Bytes of one packet, its binary attachments included (maxPayload): beyond, closed.
    std::size_t max_payload = 1000000;
    /// A client may send `rate_limit_burst` packets at any pace, then no faster than one per
    /// `rate_limit_delay` on average over the last burst (bus::message_rate); faster: closed.
    std::size_t rate_limit_burst = 100;
    std::chrono::milliseconds rate_limit_delay{10};
};

/// Socket.IO as an Engine.IO application.
class server final : public eio::application {
public:
    server(boost::asio::any_io_executor executor, server_settings config);
    ~server() override;

    /// Serves `ns` at its path. Errors: std::invalid_argument when the path is taken.
    void add(std::unique_ptr<name_space> ns);
    name_space* find(std::string const& path) const;

    void on_open(eio::connection& c) override;
    void on_message(eio::connection& c, std::string_view data, bool binary) override;
    void on_close(eio::connection& c, eio::close_reason reason) override;

private:
    void receive(socket::client& cl, packet p);
    /// Closes `cl` and says why (a limit hit, a malformed packet).
    static void close_client(socket::client& cl, std::string_view why);
    void connect(socket::client& cl, packet const& p);

    boost::asio::any_io_executor executor_;
    server_settings config_;
    std::map<std::string, std::unique_ptr<name_space>> namespaces_;
};

} // namespace lp::sio
