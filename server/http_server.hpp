// The HTTP/1.1 transport: accepts connections, reads requests under limits and timeouts,
// hands them to the dispatcher and writes its answers. One coroutine per connection.
#pragma once

#include "routes/dispatcher.hpp"
#include "server/connection_limits.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lp {

class websocket_server;
struct websocket_upgrade;

struct http_limits {
    std::size_t header_limit = 8 * 1024;       ///< larger headers get 431
    std::size_t body_limit = 1024 * 1024;      ///< larger bodies get 413
    std::chrono::seconds header_timeout{30};   ///< to receive a header; also the keep-alive idle time
    std::chrono::seconds body_timeout{60};     ///< to receive a body, and to write a reply
    std::size_t max_connections = 0;           ///< at it, the oldest idle connection makes room (0: no cap)
    std::size_t max_connections_per_ip = 0;    ///< beyond, 429 (0: no limit)
    bool proxy_mode = false;                   ///< client addresses from X-Forwarded-For
};

/// Serves `dispatcher` on one listening socket.
///
/// Lifetime: must outlive its connections' coroutines; stop() and then let the io_context
/// run until on_closed has been called.
class http_server {
public:
    /// Binds and listens. Errors: boost::system::system_error (address in use, bad address).
    http_server(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint, http_limits limits,
                dispatcher& requests);

    boost::asio::ip::tcp::endpoint local_endpoint() const;

    /// Upgrades requests for `websockets`' endpoints to WebSocket (before start()).
    void serve_websockets(websocket_server& websockets) { websockets_ = &websockets; }

    /// Starts accepting.
    void start();

    /// Stops accepting, makes every waiting handler answer now, closes idle keep-alive
    /// connections and WebSockets (1001), and calls `on_closed` once the last connection has
    /// finished its reply.
    void stop(std::function<void()> on_closed);

    std::size_t connections() const { return connections_.size(); }

private:
    struct connection;
    struct connection_deleter {
        http_server* server;
        void operator()(connection* c) const noexcept;
    };
    using connection_ptr = std::unique_ptr<connection, connection_deleter>;

    boost::asio::awaitable<void> accept_loop();
    /// Serves a connection: first writes `pending` (bytes of a reply not yet sent), closing
    /// after it when `close_after`, then reads and answers requests until the connection
    /// closes or a reply is deferred.
    boost::asio::awaitable<void> serve(connection_ptr c, std::string pending, bool close_after);
    void spawn(connection_ptr c, std::string pending, bool close_after);
    /// Reads the next request of `c` into `in` (and into `upgrade` when it is for a WebSocket
    /// endpoint). False when the connection is to end: the peer went away or timed out, or
    /// the request was refused (431, 413, 400: written here).
    boost::asio::awaitable<bool> read_request(connection& c, boost::beast::tcp_stream& stream, incoming_request& in,
                                              std::unique_ptr<websocket_upgrade>& upgrade);
    /// Hands `stream`'s socket to the WebSocket transport (true), or writes its refusal into
    /// `refusal` (false: the connection is to close after it).
    bool upgrade_to_websocket(connection& c, boost::beast::tcp_stream& stream, std::unique_ptr<websocket_upgrade> upgrade,
                              std::string& refusal);
    /// Calls on_closed_ once stopping and every connection, WebSockets included, has ended.
    void check_closed();
    /// A deferred reply has come for a parked connection: its bytes join the outbox, sent with
    /// the next burst.
    void answer_parked(connection_ptr c, ready_reply const& ready);
    /// Sends the outbox's replies back to back, then has a coroutine per connection write
    /// what a full socket did not take and serve the next request.
    void flush_outbox();
    /// Keeps the list of idle connections (waiting for a request), oldest first.
    void set_idle(connection& c, bool idle);
    /// At max_connections: closes the oldest idle connection. False when none is idle.
    bool make_room();
    /// Counts `c` under `address` (max_connections_per_ip); false when that address is full.
    bool count_address(connection& c, std::string const& address);

    /// A reply in the outbox: outbox_bytes_[begin, begin + size).
    struct outgoing {
        connection_ptr c;
        std::size_t begin;
        std::size_t size;
        bool keep_alive;
    };
    /// A connection to serve again after its reply went out.
    struct resumption {
        connection_ptr c;
        std::string pending; ///< what the socket did not take
        bool close_after;
    };

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    http_limits limits_;
    dispatcher& dispatcher_;
    bool stopping_ = false;
    std::vector<outgoing> outbox_;
    std::string outbox_bytes_;
    std::vector<outgoing> sending_;    ///< the burst being sent (spare storage otherwise)
    std::string sending_bytes_;
    std::vector<resumption> resuming_; ///< sent, to be served again once the fan-out is over
    std::vector<resumption> resumed_;  ///< being spawned (spare storage otherwise)
    bool resume_posted_ = false;
    std::size_t sent_replies_ = 0;                     ///< since the last posted flush (debug log)
    std::chrono::steady_clock::duration send_time_{}; ///< in send calls, over the same span
    bool flush_posted_ = false;
    std::list<connection*> connections_;
    websocket_server* websockets_ = nullptr;
    bool websockets_closed_ = true;
    std::list<connection*> idle_;      ///< waiting for a request, oldest first: shed first at the cap
    address_counts per_address_;
    std::function<void()> on_closed_;
};

} // namespace lp
