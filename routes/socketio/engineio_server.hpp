// Engine.IO's I/O shell: binds the session state machine (engineio_session) to the server's
// transports. Long-polling GETs park on a deferred reply (no coroutine held while they wait),
// POSTs answer at once, WebSockets come through the WebSocket endpoint interface; one timer
// per session drives the heartbeat. An application (Socket.IO, or an echo) hears the sessions.
#pragma once

#include "routes/cors.hpp"
#include "routes/dispatcher.hpp"
#include "routes/socketio/engineio_session.hpp"
#include "routes/websocket.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace lp::eio {

/// One open session, as the application sees it. Valid until on_close has returned.
class connection {
public:
    virtual std::string const& id() const = 0;
    virtual int protocol() const = 0; ///< 4, or 3 for socket.io 2.x clients
    /// Queues a message (a binary one when `binary`). Ignored once closed. Never calls the
    /// application back: a send that closes the session (its backlog too long) is heard as
    /// on_close after the application's current call.
    virtual void send(std::string_view data, bool binary = false) = 0;
    /// The same for a text message encoded once for many sessions.
    virtual void send(message_text const& m) = 0;
    /// Ends the session (the application's parse error, a forced disconnect).
    virtual void close() = 0;
    /// The handshake request's Cookie header; "" when its Origin may not act with the user's
    /// cookies (cors::origin_policy::trusts_cookies).
    virtual std::string const& cookie() const = 0;

    /// What the application keeps per session.
    struct attachment {
        virtual ~attachment() = default;
    };
    std::unique_ptr<attachment> attached;

protected:
    ~connection() = default;
};

class application {
public:
    virtual ~application() = default;
    virtual void on_open(connection& c) = 0;
    virtual void on_message(connection& c, std::string_view data, bool binary) = 0;
    virtual void on_close(connection& c, close_reason reason) = 0;
};

/// 20 random URL-safe characters: a session or socket id nobody can guess.
std::string random_id();

struct server_settings : settings {
    /// Origins allowed to call cross-origin: "*" (any, without credentials), or exact
    /// origins (answered with credentials, so that cookies pass). Empty: no CORS headers.
    /// The handshake's cookies count only without an Origin, from the server's own host, or
    /// from an origin listed here.
    std::vector<std::string> cors_origins{"*"};
};

class server {
public:
    server(boost::asio::any_io_executor executor, server_settings config, application& app);
    ~server();
    server(server const&) = delete;
    server& operator=(server const&) = delete;

    /// A long-polling request (any method) at the Engine.IO path.
    outgoing_response handle_http(incoming_request const& in);
    /// A WebSocket handshake at the Engine.IO path: a new session, or the upgrade of one.
    /// Errors: bad_request (the handshake is answered 400).
    std::unique_ptr<websocket_handler> open_websocket(websocket_session& ws, websocket_request const& request);

    /// Ends every session (shutdown).
    void close_all();
    std::size_t sessions() const { return sessions_.size(); }

private:
    struct state;
    class socket_handler;

    outgoing_response poll(std::shared_ptr<state> const& st, incoming_request const& in);
    outgoing_response post(std::shared_ptr<state> const& st, incoming_request const& in);
    void deliver(std::shared_ptr<state> const& st, std::vector<packet> messages);
    void websocket_message(std::shared_ptr<state> const& st, bool probe, std::string_view data, bool binary);
    /// Writes what the session says to write, and ends it once closed.
    void settle(std::shared_ptr<state> const& st);
    /// settle() once the current handler has returned: for a session that the application's
    /// own send() closed, so that the application never hears of a close inside its call (it
    /// may be going through its sockets, a broadcast).
    void settle_later(std::shared_ptr<state> const& st);
    void arm_heartbeat(std::shared_ptr<state> const& st, std::chrono::milliseconds delay);
    std::shared_ptr<state> create(int version, transport_kind transport, std::string cookie);
    /// CORS headers for a request from `origin`.
    void add_cors(outgoing_response& out, std::string const& origin) const;
    /// The handshake's Cookie header if its origin may act with it (cors::origin_policy), else "".
    std::string trusted_cookie(std::string const& cookie, std::string const& origin, std::string_view host) const;
    outgoing_response error(int code, std::string const& origin) const;

    boost::asio::any_io_executor executor_;
    server_settings config_;
    application& app_;
    cors::origin_policy cors_;
    std::unordered_map<std::string, std::shared_ptr<state>> sessions_;
};

} // namespace lp::eio
