// WebSocket endpoints: what a route author writes, and all a handler sees of a WebSocket.
// The transport (server/) does the handshake, the framing, ping/pong, keep-alive and limits;
// a handler gets whole text (or binary) messages and a session to send text and close.
//
//   LONGPOLLING_WEBSOCKET(echo, "/ws/echo")
//   {
//       struct echo_handler : lp::websocket_handler {
//           void on_message(lp::websocket_session& session, std::string_view text, bool) override
//           { session.send_text(text); }
//       };
//       return std::make_unique<echo_handler>();
//   }
#pragma once

#include "routes/services.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lp {

/// One open WebSocket, as a handler sees it. Valid from the endpoint's open function until
/// the handler's on_close has returned; after close() (or once the connection is gone) the
/// calls do nothing.
class websocket_session {
public:
    /// Queues a text message (UTF-8). A client that does not read what it is sent is closed
    /// with 1008 once more than websocket_max_queued bytes wait for it.
    virtual void send_text(std::string_view text) = 0;
    /// Queues a binary message, under the same limit.
    virtual void send_binary(std::string_view bytes) = 0;
    /// Starts the closing handshake with `code` (ws::close_code) and a short reason.
    virtual void close(std::uint16_t code, std::string_view reason = {}) = 0;
    /// False once closing has started.
    virtual bool is_open() const = 0;

protected:
    ~websocket_session() = default;
};

/// The handshake request, as an endpoint's open function sees it.
struct websocket_request {
    std::string path;   ///< without the query
    std::string query;  ///< after '?', undecoded
    std::string cookie; ///< the Cookie header
    std::string origin; ///< the Origin header ("" when absent)
    std::string host;   ///< the Host header
    std::string user_agent;
    std::string scheme = "http"; ///< as the client sees it: X-Forwarded-Proto's with proxy_mode
    services const* shared = nullptr; ///< the server's databases and bus (may be null)
};

/// What an endpoint keeps per open WebSocket; it receives the connection's events, one at
/// a time, on the server's thread. Work that waits (a database read) is started from here
/// as a coroutine of the handler's own, which must be done or cancelled by on_close.
class websocket_handler {
public:
    virtual ~websocket_handler() = default;
    /// A complete message (fragments reassembled; text already checked to be UTF-8).
    virtual void on_message(websocket_session& session, std::string_view data, bool binary) = 0;
    /// The connection has ended: `code` is the close code sent or received, 1006 when it
    /// ended without a closing handshake. The session must not be used after this returns.
    virtual void on_close(std::uint16_t code) { (void)code; }
};

/// An endpoint's open function: called during the handshake; returns the connection's
/// handler. It may send at once (the text follows the 101) and may refuse the connection
/// by throwing one of routes/errors.hpp (answered with its HTTP status instead of 101).
using websocket_open = std::function<std::unique_ptr<websocket_handler>(websocket_session& session,
                                                                         websocket_request const& request)>;

struct websocket_definition {
    std::string_view name;
    std::string_view path;
    websocket_open open;
    bool prefixed = true; ///< served under longpolling_path (Odoo's /websocket is not)
    std::string_view route_set; ///< as a route's: "examples" are off unless enabled
    /// Requests without `Upgrade: websocket` go to the HTTP routes instead of a 426 (a path
    /// that serves both, as Engine.IO's long-polling and WebSocket transports do).
    bool shares_path_with_http = false;

    websocket_definition at_root() const { auto copy = *this; copy.prefixed = false; return copy; }
};

/// Adds a definition to the program's list of WebSocket endpoints (read at start-up).
void define_websocket(websocket_definition definition);
/// Every definition made with LONGPOLLING_WEBSOCKET in the program, in registration order.
std::vector<websocket_definition> const& defined_websockets();

struct websocket_registrar {
    explicit websocket_registrar(websocket_definition definition) { define_websocket(definition); }
};

/// Endpoints bound under longpolling_path, matched by exact path.
class websocket_table {
public:
    /// Errors: std::invalid_argument naming the endpoint when a path is served twice or is
    /// not a plain absolute path.
    websocket_table(std::span<websocket_definition const> definitions, std::string_view prefix);

    websocket_definition const* match(std::string_view path) const;
    /// "NAME:/full/path" of each endpoint, for the start-up log.
    std::vector<std::string> rules() const;
    /// Every endpoint with the full path it is served at.
    std::vector<std::pair<std::string_view, websocket_definition const*>> endpoints() const;

private:
    std::unordered_map<std::string, websocket_definition> endpoints_;
};

} // namespace lp

/// Declares the open function `name` and registers it at `path` (under longpolling_path).
/// The body that follows sees `lp::websocket_session& session` and
/// `lp::websocket_request const& request`, and returns the connection's handler.
#define LONGPOLLING_WEBSOCKET(name, path)                                                                     \
    static std::unique_ptr<::lp::websocket_handler> name(::lp::websocket_session& session,                  \
                                                         ::lp::websocket_request const& request);            \
    static ::lp::websocket_registrar const LP_WEBSOCKET_CONCAT(lp_websocket_registrar_, __LINE__){           \
        ::lp::websocket_definition{#name, path, &name, true, LP_WEBSOCKET_SET}};                                                     \
    static std::unique_ptr<::lp::websocket_handler> name([[maybe_unused]] ::lp::websocket_session& session, \
                                                         [[maybe_unused]] ::lp::websocket_request const& request)
/// The route set of the endpoints a library defines (LP_ROUTE_SET, routes/CMakeLists.txt).
#ifdef LP_ROUTE_SET
#define LP_WEBSOCKET_SET LP_ROUTE_SET
#else
#define LP_WEBSOCKET_SET ""
#endif
#define LP_WEBSOCKET_CONCAT_INNER(a, b) a##b
#define LP_WEBSOCKET_CONCAT(a, b) LP_WEBSOCKET_CONCAT_INNER(a, b)
