// The WebSocket transport: serves the connections the HTTP server upgraded, on the same
// thread. Each connection is a small object driven by completion callbacks, not a coroutine:
// an idle WebSocket is a socket waiting for readability, one timer and a few counters, and
// what it reads lands in one buffer shared by every connection (see docs/websocket.md).
#pragma once

#include "orm_bridge/metrics.hpp"
#include "routes/outgoing_response.hpp"
#include "routes/websocket.hpp"
#include "server/websocket_frame.hpp"
#include "server/websocket_handshake.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <span>
#include <string_view>
#include <vector>

namespace lp {

struct websocket_limits {
    std::size_t max_message = 1 << 20;             ///< larger messages are closed with 1009
    std::size_t max_queued = 4 << 20;              ///< bytes waiting for a client; above: 1008
    std::chrono::seconds inactivity_timeout{45};   ///< PING after this long without a frame
    std::chrono::seconds pong_timeout{15};         ///< to answer a PING or a close frame, else dropped
    std::chrono::seconds keep_alive_timeout{3600}; ///< lifetime (plus up to half at random), then 4002
};

/// A handshake request for one of the WebSocket endpoints, as the HTTP server read it.
struct websocket_upgrade {
    websocket_definition const* endpoint = nullptr;
    ws::handshake_request handshake;
    websocket_request request;
};

/// Lifetime: must outlive its connections; stop() and let the io_context run until
/// on_closed has been called.
class websocket_server {
public:
    websocket_server(boost::asio::io_context& io, websocket_table const& endpoints, websocket_limits limits,
                     services const* shared);
    ~websocket_server();
    websocket_server(websocket_server const&) = delete;
    websocket_server& operator=(websocket_server const&) = delete;

    /// The endpoint served at `path`, or null.
    websocket_definition const* match(std::string_view path) const { return endpoints_.match(path); }

    /// Checks the handshake and runs the endpoint's open function. On success the socket is
    /// taken (101 written, then frames served; `early_bytes` are what the client sent after
    /// its request) and nullopt returned; otherwise the socket is left alone and the HTTP
    /// answer to write instead is returned (400, 426, or the open function's refusal).
    std::optional<outgoing_response> open(boost::asio::ip::tcp::socket& socket, websocket_upgrade upgrade,
                                          std::string_view early_bytes);

    /// Closes every connection with 1001 (and refuses new ones), and calls `on_closed` once
    /// the last has ended: at most about a second later.
    void stop(std::function<void()> on_closed);

    std::size_t connections() const { return connections_.size(); }

private:
    struct connection;
    using clock = std::chrono::steady_clock;

    void arm_read(connection& c);
    void arm_write(connection& c);
    /// One pending wait per direction: readability (then read) or writability (then flush).
    void await_socket(connection& c, boost::asio::ip::tcp::socket::wait_type wait);
    void on_readable(connection& c);
    /// Decodes what was read and acts on each frame.
    void receive(connection& c, std::span<char> bytes);
    /// Sends a frame, or queues it when the socket is full; 1008 when too much waits.
    void send_frame(connection& c, ws::opcode op, std::string_view payload);
    /// Appends a frame to the connection's backlog, `sent` bytes of it already written.
    void queue(connection& c, ws::opcode op, std::string_view payload, std::size_t sent);
    void flush(connection& c);
    void all_sent(connection& c);
    void start_close(connection& c, std::uint16_t code, std::string_view reason);
    /// The peer's close frame: answered (if we did not close first), then the end.
    void close_received(connection& c, std::uint16_t code);
    /// Ends the connection now: the handler hears on_close, the socket is closed; the object
    /// goes once its pending completions have run.
    void end(connection& c, std::uint16_t code);
    /// The same, from a posted handler: for a failure found while a handler runs (its
    /// send_text), which must not hear on_close, nor be destroyed, before it returns.
    void end_soon(connection& c);
    /// Called last by every completion of `c`: frees it once it has ended and nothing pends.
    void settle(connection& c);
    void schedule(connection& c);
    void on_timer(connection& c);
    clock::time_point next_deadline(connection const& c) const;

    boost::asio::io_context& io_;
    websocket_table const& endpoints_;
    websocket_limits limits_;
    services const* shared_;
    std::vector<char> read_buffer_; ///< every connection reads here (one thread)
    std::minstd_rand random_;
    std::list<connection*> connections_;
    /// Open sessions per endpoint (lp_websocket_sessions), its nodes stable for the gauges.
    std::unordered_map<websocket_definition const*, std::size_t> sessions_;
    std::vector<metrics::reading> sessions_gauges_;
    bool stopping_ = false;
    std::function<void()> on_closed_;
};

} // namespace lp
