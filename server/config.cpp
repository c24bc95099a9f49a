#include "server/config.hpp"

#include "orm_bridge/log.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

namespace lp {
namespace {

std::string trim(std::string_view text)
{
    auto const first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos)
        return {};
    auto const last = text.find_last_not_of(" \t\r");
    return std::string(text.substr(first, last - first + 1));
}

/// Odoo writes unset options as "False" or "None".
bool is_unset(std::string const& value) { return value.empty() || value == "False" || value == "None"; }

/// A duration in seconds with a fraction ("0.2"), from 0 to a day.
std::chrono::milliseconds parse_seconds(std::string const& value, std::string const& what)
{
    char* end = nullptr;
    double const seconds = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size() || !(seconds >= 0 && seconds <= 86400))
        throw config_error(what + ": expected seconds from 0 to 86400, got '" + value + "'");
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000 + 0.5));
}

std::uint64_t parse_number(std::string const& value, std::string const& what, std::uint64_t min, std::uint64_t max)
{
    std::uint64_t number = 0;
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || error != std::errc{} || end != value.data() + value.size() || number < min || number > max)
        throw config_error(what + ": '" + value + "' is not a whole number from " + std::to_string(min) + " to "
                           + std::to_string(max));
    return number;
}

bool to_bool(std::string const& value, std::string const& what)
{
    if (value == "True" || value == "true" || value == "1")
        return true;
    if (value == "False" || value == "false" || value == "0")
        return false;
    throw config_error(what + ": '" + value + "' must be True or False");
}

std::vector<std::string> split_list(std::string const& value)
{
    std::vector<std::string> items;
    std::stringstream stream(value);
    for (std::string item; std::getline(stream, item, ',');)
        if (auto name = trim(item); !name.empty())
            items.push_back(name);
    return items;
}

/// One setting, known by its config-file key and its flags.
struct setting {
    std::string_view key;
    std::string_view flag;
    char short_flag;
    std::string_view value_name;
    std::string_view help;
    void (*apply)(server_config&, std::string const& value, std::string const& what);
};

constexpr setting settings[] = {
    {"db_name", "--database", 'd', "DB[,DB...]",
     "databases to serve (repeatable; default: the file's db_name)",
     [](server_config& c, std::string const& v, std::string const& what) {
         auto names = split_list(v);
         if (names.empty())
             throw config_error(what + ": expected a database name");
         c.databases.insert(c.databases.end(), names.begin(), names.end());
     }},
    {"longpolling_server_host", "--interface", 'i', "ADDRESS", "IP address to listen on (default 127.0.0.1)",
     [](server_config& c, std::string const& v, std::string const& what) {
         auto const address = v == "localhost" ? std::string("127.0.0.1") : v;
         unsigned char buffer[16];
         if (inet_pton(AF_INET, address.c_str(), buffer) != 1 && inet_pton(AF_INET6, address.c_str(), buffer) != 1)
             throw config_error(what + ": '" + v + "' is not an IP address (host names are not resolved)");
         c.interface = address;
     }},
    {"longpolling_server_port", "--port", 'p', "PORT", "TCP port (default 8068; 0 picks a free one)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.port = static_cast<std::uint16_t>(parse_number(v, what, 0, 65535));
     }},
    {"max_cursor", "--max-cursor", 0, "N", "most PostgreSQL connections open at once per database (default 2)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.max_cursor = static_cast<unsigned>(parse_number(v, what, 1, 1000));
     }},
    {"longpolling_path", "--longpolling-path", 0, "PATH", "prefix of every route (default /openerplongpolling)",
     [](server_config& c, std::string const& v, std::string const& what) {
         if (v.empty() || v.front() != '/')
             throw config_error(what + ": '" + v + "' must start with '/'");
         c.longpolling_path = v;
     }},
    {"longpolling_timeout", "--longpolling-timeout", 0, "SECONDS",
     "how long a handler may run before the client gets 408 (default 60)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.longpolling_timeout = std::chrono::seconds(parse_number(v, what, 1, 86400));
     }},
    {"db_host", "--db-host", 0, "HOST", "PostgreSQL IP address or socket directory (default: libpq's)",
     [](server_config& c, std::string const& v, std::string const&) { c.db_host = v; }},
    {"db_port", "--db-port", 0, "PORT", "PostgreSQL port",
     [](server_config& c, std::string const& v, std::string const& what) {
         parse_number(v, what, 1, 65535);
         c.db_port = v;
     }},
    {"db_user", "--db-user", 0, "USER", "PostgreSQL user",
     [](server_config& c, std::string const& v, std::string const&) { c.db_user = v; }},
    {"db_password", "--db-password", 0, "PASSWORD", "PostgreSQL password",
     [](server_config& c, std::string const& v, std::string const&) { c.db_password = v; }},
    {"data_dir", "--data-dir", 0, "DIR", "Odoo's data_dir (sessions are read from DIR/sessions)",
     [](server_config& c, std::string const& v, std::string const&) { c.data_dir = v; }},
    {"log_level", "--log-level", 0, "LEVEL", "debug, info, warn, error or critical (default info)",
     [](server_config& c, std::string const& v, std::string const& what) {
         try {
             log::parse_level(v);
         }
         catch (std::invalid_argument const& e) {
             throw config_error(what + ": " + e.what());
         }
         c.log_level = v;
     }},
    {"odoo_version", "--odoo-version", 0, "N", "Odoo's bus protocol: 8 to 14, 15, or 16 to 18 (/websocket; default 15)",
     [](server_config& c, std::string const& v, std::string const& what) {
         auto major = v.substr(0, v.find('.')); // "14.0" reads as 14
         c.odoo_version = static_cast<int>(parse_number(major, what, 8, 18));
     }},
    {"bus_timeout", "--bus-timeout", 0, "SECONDS", "how long a bus poll waits for news (default 50, Odoo's)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.bus_timeout = std::chrono::seconds(parse_number(v, what, 1, 3600));
     }},
    {"bus_listen", "--bus-listen", 0, "WHERE",
     "where to LISTEN imbus: both (default), postgres (Odoo's), business, none",
     [](server_config& c, std::string const& v, std::string const& what) {
         if (v != "both" && v != "postgres" && v != "business" && v != "none")
             throw config_error(what + ": '" + v + "' must be both, postgres, business or none");
         c.bus_listen = v;
     }},
    {"bus_maintenance_db", "--bus-maintenance-db", 0, "DB", "the database Odoo sends NOTIFY imbus on (default postgres)",
     [](server_config& c, std::string const& v, std::string const&) { c.bus_maintenance_db = v; }},
    {"bus_allow_send", "--bus-allow-send", 0, "BOOL", "serve the public /longpolling/send of Odoo 8-14 (default False)",
     [](server_config& c, std::string const& v, std::string const& what) { c.bus_allow_send = to_bool(v, what); }},
    {"longpolling_stats", "--stats", 0, "BOOL", "serve <longpolling_path>/stats: connections, waiting polls, cursors (default False)",
     [](server_config& c, std::string const& v, std::string const& what) { c.stats = to_bool(v, what); }},
    {"metrics", "--metrics", 0, "BOOL", "serve GET /metrics (Prometheus text format) on the main port (default False)",
     [](server_config& c, std::string const& v, std::string const& what) { c.metrics = to_bool(v, what); }},
    {"metrics_port", "--metrics-port", 0, "PORT", "also serve GET /metrics alone on this port of the same interface (default: none)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.metrics_port = static_cast<std::uint16_t>(parse_number(v, what, 1, 65535));
     }},
    {"longpolling_examples", "--examples", 0, "BOOL", "serve the example routes of routes/examples (default False)",
     [](server_config& c, std::string const& v, std::string const& what) { c.examples = to_bool(v, what); }},
    {"proxy_mode", "--proxy-mode", 0, "BOOL",
     "behind a proxy: a client's address is the last X-Forwarded-For entry (default False, Odoo's)",
     [](server_config& c, std::string const& v, std::string const& what) { c.proxy_mode = to_bool(v, what); }},
    {"max_connections", "--max-connections", 0, "N",
     "most client connections (default 0: the descriptor limit less descriptor_reserve)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.max_connections = parse_number(v, what, 0, 10'000'000);
     }},
    {"descriptor_reserve", "--descriptor-reserve", 0, "N",
     "descriptors kept free of clients, for PostgreSQL and files (default 64)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.descriptor_reserve = parse_number(v, what, 16, 100'000);
     }},
    {"max_connections_per_ip", "--max-connections-per-ip", 0, "N",
     "most connections from one client address (default 0: no limit)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.max_connections_per_ip = parse_number(v, what, 0, 10'000'000);
     }},
    {"bus_max_channels", "--bus-max-channels", 0, "N", "most channels in one poll (default 1000)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.bus_max_channels = parse_number(v, what, 1, 1'000'000);
     }},
    {"bus_max_channel_bytes", "--bus-max-channel-bytes", 0, "BYTES", "longest channel name (default 1024)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.bus_max_channel_bytes = parse_number(v, what, 16, 1 << 20);
     }},
    {"write_rate_per_ip", "--write-rate-per-ip", 0, "N",
     "bus writes (send, pos update) per minute from one client address (default 120; 0: no limit)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.write_rate_per_ip = static_cast<unsigned>(parse_number(v, what, 0, 1'000'000));
     }},
    {"write_rate_per_pos", "--write-rate-per-pos", 0, "N",
     "pos_longpolling updates per minute for one POS (default 60; 0: no limit)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.write_rate_per_pos = static_cast<unsigned>(parse_number(v, what, 0, 1'000'000));
     }},
    {"static_dir", "--static-dir", 0, "DIR", "the browser clients served under <longpolling_path>/static/",
     [](server_config& c, std::string const& v, std::string const&) { c.static_dir = v; }},
    {"http_header_limit", "--header-limit", 0, "BYTES", "largest request header (default 8192; 431 above)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.header_limit = parse_number(v, what, 256, 1 << 20);
     }},
    {"http_body_limit", "--body-limit", 0, "BYTES", "largest request body (default 1048576; 413 above)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.body_limit = parse_number(v, what, 0, std::uint64_t(1) << 32);
     }},
    {"http_header_timeout", "--header-timeout", 0, "SECONDS",
     "time to receive a request header, and keep-alive idle time (default 30)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.header_timeout = std::chrono::seconds(parse_number(v, what, 1, 3600));
     }},
    {"http_body_timeout", "--body-timeout", 0, "SECONDS", "time to receive a body or send a reply (default 60)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.body_timeout = std::chrono::seconds(parse_number(v, what, 1, 3600));
     }},
    {"websocket_max_message", "--websocket-max-message", 0, "BYTES",
     "largest WebSocket message a client may send (default 1048576; 1009 above)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.websocket_max_message = parse_number(v, what, 125, std::uint64_t(1) << 30);
     }},
    {"websocket_max_queued", "--websocket-max-queued", 0, "BYTES",
     "bytes waiting for a WebSocket client that does not read before it is closed with 1008 (default 4194304)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.websocket_max_queued = parse_number(v, what, 1024, std::uint64_t(1) << 32);
     }},
    {"websocket_inactivity_timeout", "--websocket-inactivity-timeout", 0, "SECONDS",
     "PING a WebSocket client after this long without a frame from it (default 45)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.websocket_inactivity_timeout = std::chrono::seconds(parse_number(v, what, 1, 86400));
     }},
    {"websocket_pong_timeout", "--websocket-pong-timeout", 0, "SECONDS",
     "time to answer a PING or a close frame before the connection is dropped (default 15)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.websocket_pong_timeout = std::chrono::seconds(parse_number(v, what, 1, 3600));
     }},
    {"websocket_keep_alive_timeout", "--websocket-keep-alive-timeout", 0, "SECONDS",
     "WebSocket lifetime, plus up to half of it at random, then close 4002 (default 3600)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.websocket_keep_alive_timeout = std::chrono::seconds(parse_number(v, what, 1, 7 * 86400));
     }},
    {"websocket_rate_limit_burst", "--websocket-rate-limit-burst", 0, "N",
     "Odoo's /websocket: messages a client may send in a burst before the delay applies (default 10)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.websocket_rate_limit_burst = parse_number(v, what, 1, 10000);
     }},
    {"websocket_worker_version", "--websocket-worker-version", 0, "VERSION",
     "Odoo 17+'s /websocket: a browser whose worker ?version= differs is closed 1000 OUTDATED_VERSION"
     " (Odoo's WebsocketConnectionHandler._VERSION, e.g. 17.0-1; default empty: no check)",
     [](server_config& c, std::string const& v, std::string const&) { c.websocket_worker_version = v; }},
    {"websocket_rate_limit_delay", "--websocket-rate-limit-delay", 0, "SECONDS",
     "Odoo's /websocket: seconds per message over a burst; faster is closed with 1013 (default 0.2)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.websocket_rate_limit_delay = parse_seconds(v, what);
     }},
    {"socketio_path", "--socketio-path", 0, "PATH", "where Engine.IO/Socket.IO is served (default /socket.io/; False: not served)",
     [](server_config& c, std::string const& v, std::string const& what) {
         if (is_unset(v)) {
             c.socketio_path.clear();
             return;
         }
         if (v.front() != '/')
             throw config_error(what + ": '" + v + "' must start with '/'");
         c.socketio_path = v;
     }},
    {"socketio_ping_interval", "--socketio-ping-interval", 0, "MS", "Engine.IO pingInterval (default 25000)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.socketio_ping_interval = std::chrono::milliseconds(parse_number(v, what, 1, 3600000));
     }},
    {"socketio_ping_timeout", "--socketio-ping-timeout", 0, "MS", "Engine.IO pingTimeout (default 20000)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.socketio_ping_timeout = std::chrono::milliseconds(parse_number(v, what, 1, 3600000));
     }},
    {"socketio_max_payload", "--socketio-max-payload", 0, "BYTES", "Engine.IO maxPayload (default 1000000)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.socketio_max_payload = parse_number(v, what, 16, std::uint64_t(1) << 30);
     }},
    {"socketio_connect_timeout", "--socketio-connect-timeout", 0, "MS",
     "time to join a Socket.IO namespace before the connection is closed (default 45000)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.socketio_connect_timeout = std::chrono::milliseconds(parse_number(v, what, 1, 3600000));
     }},
    {"socketio_cors_origins", "--socketio-cors-origins", 0, "ORIGINS",
     "origins allowed to poll cross-origin: * (default; no cookies) or a list (with cookies); False: none",
     [](server_config& c, std::string const& v, std::string const&) {
         c.socketio_cors_origins = is_unset(v) ? std::vector<std::string>{} : split_list(v);
     }},
    {"socketio_rate_limit_burst", "--socketio-rate-limit-burst", 0, "N",
     "Socket.IO packets a client may send in a burst before the delay applies (default 100)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.socketio_rate_limit_burst = parse_number(v, what, 1, 1000000);
     }},
    {"socketio_rate_limit_delay", "--socketio-rate-limit-delay", 0, "SECONDS",
     "Socket.IO: seconds per packet over a burst; faster closes the connection (default 0.01; 0: no limit)",
     [](server_config& c, std::string const& v, std::string const& what) {
         c.socketio_rate_limit_delay = parse_seconds(v, what);
     }},
    {"socketio_allow_eio3", "--socketio-allow-eio3", 0, "BOOL", "serve socket.io 2.x clients (EIO=3) (default False)",
     [](server_config& c, std::string const& v, std::string const& what) { c.socketio_allow_eio3 = to_bool(v, what); }},
    {"socketio_listen_channel", "--socketio-listen-channel", 0, "CHANNEL",
     "PostgreSQL channel the Socket.IO adapters' notifications come on (default socketio)",
     [](server_config& c, std::string const& v, std::string const& what) {
         if (v.empty())
             throw config_error(what + ": expected a channel name");
         c.socketio_listen_channel = v;
     }},
    {"socketio_conformance", "--socketio-conformance", 0, "BOOL",
     "serve the official protocol suites' servers: /engine.io/ echo, namespaces / and /custom (default False)",
     [](server_config& c, std::string const& v, std::string const& what) { c.socketio_conformance = to_bool(v, what); }},
};

setting const* find_by_key(std::string_view key)
{
    for (auto const& s : settings)
        if (s.key == key)
            return &s;
    return nullptr;
}

setting const* find_by_flag(std::string_view flag)
{
    for (auto const& s : settings)
        if (s.flag == flag || (s.short_flag && flag.size() == 2 && flag[0] == '-' && flag[1] == s.short_flag))
            return &s;
    return nullptr;
}

} // namespace

void read_config_file(std::string const& path, server_config& config)
{
    std::ifstream file(path);
    if (!file)
        throw config_error("cannot read config file '" + path + "'");
    std::map<std::string, std::string> options;
    std::string section;
    std::string line;
    for (int number = 1; std::getline(file, line); ++number) {
        auto const text = trim(line);
        if (text.empty() || text.front() == '#' || text.front() == ';')
            continue;
        if (text.front() == '[') {
            if (text.back() != ']')
                throw config_error(path + ":" + std::to_string(number) + ": malformed section header");
            section = trim(std::string_view(text).substr(1, text.size() - 2));
            continue;
        }
        auto const separator = text.find_first_of("=:");
        if (separator == std::string::npos)
            throw config_error(path + ":" + std::to_string(number) + ": expected 'key = value'");
        if (section != "options")
            continue;
        options[trim(std::string_view(text).substr(0, separator))] = trim(std::string_view(text).substr(separator + 1));
    }

    // Odoo's own port settings say where its long-polling worker listens: this server takes
    // that place unless web_longpolling's longpolling_server_port is set.
    for (auto const* key : {"gevent_port", "longpolling_port"})
        if (auto it = options.find(key); it != options.end() && !is_unset(it->second)
                                          && !options.contains("longpolling_server_port"))
            options["longpolling_server_port"] = it->second;

    for (auto const& [key, value] : options) {
        auto const* s = find_by_key(key);
        if (!s) {
            if (key != "gevent_port" && key != "longpolling_port")
                config.ignored_keys.push_back(key);
            continue;
        }
        if (is_unset(value))
            continue;
        s->apply(config, value, path + ": " + key);
    }
}

server_config parse_command_line(int argc, char const* const* argv)
{
    std::vector<std::pair<setting const*, std::string>> flags;
    std::optional<std::string> config_file;
    server_config config;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            config.show_help = true;
            return config;
        }
        if (arg == "--send") {
            if (i + 3 >= argc)
                throw config_error("--send needs DB CHANNEL MESSAGE");
            config.send = {argv[i + 1], argv[i + 2], argv[i + 3]};
            i += 3;
            continue;
        }
        std::optional<std::string> value;
        if (arg.starts_with("--") && arg.find('=') != std::string::npos) {
            value = arg.substr(arg.find('=') + 1);
            arg = arg.substr(0, arg.find('='));
        }
        bool const is_config = arg == "-c" || arg == "--config";
        setting const* s = is_config ? nullptr : find_by_flag(arg);
        if (!is_config && !s)
            throw config_error("unknown option '" + arg + "' (see --help)");
        if (!value) {
            if (i + 1 >= argc)
                throw config_error("option '" + arg + "' needs a value");
            value = argv[++i];
        }
        if (is_config)
            config_file = *value;
        else
            flags.emplace_back(s, *value);
    }

    if (config_file)
        read_config_file(*config_file, config);
    // Flags override the file; -d replaces the file's db_name rather than adding to it.
    bool databases_from_flags = false;
    for (auto const& [s, value] : flags) {
        if (s->key == "db_name" && !databases_from_flags) {
            config.databases.clear();
            databases_from_flags = true;
        }
        auto const name = s->flag.empty() ? std::string("-") + s->short_flag : std::string(s->flag);
        s->apply(config, value, "option " + name);
    }
    return config;
}

std::string usage()
{
    std::ostringstream text;
    text << "usage: longpolling-server [-c FILE] [-d DB[,DB...]] [-i ADDRESS] [-p PORT] [--max-cursor N] [options]\n\n"
            "A single-threaded long-polling server for OpenERP/Odoo databases.\n\n"
            "  -c, --config FILE                 read FILE's [options] section (an Odoo/OpenERP config file works;\n"
            "                                    flags override it)\n";
    for (auto const& s : settings) {
        std::string left = "  ";
        left += s.short_flag ? std::string("-") + s.short_flag + ", " : std::string("    ");
        left += std::string(s.flag) + " " + std::string(s.value_name);
        if (left.size() < 36)
            left.resize(36, ' ');
        else
            left += "\n" + std::string(36, ' ');
        text << left << " " << s.help << "   [file: " << s.key << "]\n";
    }
    text << "      --send DB CHANNEL MESSAGE     publish one bus notification (CHANNEL and MESSAGE as JSON, or\n"
            "                                    plain text for a string) the way Odoo does, then exit\n"
            "  -h, --help                        show this text\n\n"
            "Config-file only: gevent_port / longpolling_port (Odoo's) set the port when -p and\n"
            "longpolling_server_port are absent. Values False or None mean unset, as Odoo writes them.\n"
            "Exit status: 0 after a clean shutdown (SIGINT/SIGTERM), 2 on a bad option or file, 1 on other errors.\n";
    return text.str();
}

} // namespace lp
