// The server's settings: defaults, then an OpenERP-style config file (-c), then flags.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lp {

/// A bad flag, value or file. main() prints "longpolling-server: <what>" and exits with 2.
struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct server_config {
    // The seed's flags.
    std::vector<std::string> databases;   ///< -d; db_name of the file when absent
    std::string interface = "127.0.0.1";  ///< -i
    std::uint16_t port = 8068;            ///< -p; 0 picks a free port (logged)
    unsigned max_cursor = 2;              ///< --max-cursor, per database

    // web_longpolling's settings.
    std::string longpolling_path = "/openerplongpolling";
    std::chrono::seconds longpolling_timeout{60};

    // How to reach PostgreSQL (Odoo's names).
    std::string db_host;     ///< an IP address or a socket directory; empty: libpq's default
    std::string db_port;
    std::string db_user;
    std::string db_password;
    std::string data_dir;    ///< Odoo's data_dir; sessions are read from <data_dir>/sessions

    std::string log_level = "info";

    // Odoo's bus.
    int odoo_version = 15;                 ///< 8-18: the bus's channel and row shapes (16-18: /websocket)
    std::chrono::seconds bus_timeout{50};  ///< how long a poll waits (Odoo's TIMEOUT)
    std::string bus_listen = "both";       ///< where NOTIFY imbus is listened to: both, postgres, business, none
    std::string bus_maintenance_db = "postgres"; ///< the database Odoo sends NOTIFY imbus on
    bool bus_allow_send = false;           ///< serve Odoo 8-14's public /longpolling/send
    bool stats = false;                    ///< serve <longpolling_path>/stats (longpolling_stats)
    bool metrics = false;                  ///< serve GET /metrics on the main port
    std::uint16_t metrics_port = 0;        ///< serve GET /metrics alone on this port too; 0: not
    std::string static_dir;                ///< the browser clients; default: the source tree's client/
    bool examples = false;                 ///< serve routes/examples (longpolling_examples)
    bool proxy_mode = false;               ///< the client's address is X-Forwarded-For's last (Odoo's proxy_mode)

    /// --send DB CHANNEL MESSAGE: publish one notification and exit.
    std::vector<std::string> send;

    // HTTP limits.
    std::size_t header_limit = 8 * 1024;
    std::size_t body_limit = 1024 * 1024;
    std::chrono::seconds header_timeout{30}; ///< to receive a request's header (and keep-alive idle time)
    std::chrono::seconds body_timeout{60};   ///< to receive its body, and to write a reply

    // WebSocket (Odoo's defaults).
    std::size_t websocket_max_message = 1 << 20;           ///< larger messages are closed with 1009
    std::size_t websocket_max_queued = 4 << 20;            ///< bytes waiting for a client before 1008
    std::chrono::seconds websocket_inactivity_timeout{45}; ///< PING after this long without a frame
    std::chrono::seconds websocket_pong_timeout{15};       ///< to answer it (or a close frame)
    std::chrono::seconds websocket_keep_alive_timeout{3600}; ///< lifetime, plus up to half at random; then 4002
    std::size_t websocket_rate_limit_burst = 10;            ///< Odoo's /websocket: messages in a burst...
    std::chrono::milliseconds websocket_rate_limit_delay{200}; ///< ...each this long apart on average, else 1013
    std::string websocket_worker_version; ///< Odoo 17+'s worker version; others are told OUTDATED_VERSION ("": no check)
    // Socket.IO (docs/socketio.md).
    std::string socketio_path = "/socket.io/";                 ///< Engine.IO's path; empty: not served
    std::chrono::milliseconds socketio_ping_interval{25000};
    std::chrono::milliseconds socketio_ping_timeout{20000};
    std::size_t socketio_max_payload = 1000000;                 ///< bytes of a POST body or message
    std::chrono::milliseconds socketio_connect_timeout{45000}; ///< to join a namespace
    std::vector<std::string> socketio_cors_origins{"*"};      ///< "*", or origins answered with credentials
    std::size_t socketio_rate_limit_burst = 100;               ///< packets a client may send at once...
    std::chrono::milliseconds socketio_rate_limit_delay{10};   ///< ...then one per delay on average, else closed
    bool socketio_allow_eio3 = false;                          ///< serve socket.io 2.x clients (EIO=3)
    bool socketio_conformance = false;                         ///< the official suites' echo servers
    std::string socketio_listen_channel = "socketio";          ///< PostgreSQL channel of the adapters' notifications
    // What one client may cost (README: "Limits").
    std::size_t max_connections = 0;         ///< 0: the descriptor limit less descriptor_reserve
    std::size_t descriptor_reserve = 64;     ///< descriptors kept for PostgreSQL, files and shedding
    std::size_t max_connections_per_ip = 0;  ///< 0: no limit
    std::size_t bus_max_channels = 1000;     ///< channels per poll
    std::size_t bus_max_channel_bytes = 1024; ///< bytes of one channel name
    unsigned write_rate_per_ip = 120;        ///< writes (send, pos update) per minute per client address; 0: no limit
    unsigned write_rate_per_pos = 60;        ///< pos_longpolling updates per minute per POS; 0: no limit

    bool show_help = false;

    /// Config-file keys the server does not use (Odoo's own), logged at debug level at start-up.
    std::vector<std::string> ignored_keys;
};

/// Reads the flags (argv[1..]) and the config file they name.
/// Errors: config_error with a one-line message naming the flag, key or file.
server_config parse_command_line(int argc, char const* const* argv);

/// Applies an OpenERP/Odoo config file's [options] section to `config`. Keys the server does
/// not use are ignored (logged at debug level), so Odoo's own file works.
/// Errors: config_error naming the file and line.
void read_config_file(std::string const& path, server_config& config);

/// The text of --help.
std::string usage();

} // namespace lp
