// longpolling-server: the process. Reads the configuration, binds the routes under
// longpolling_path, serves them on one thread, and shuts down cleanly on SIGINT/SIGTERM.
#include "orm_bridge/database.hpp"
#include "orm_bridge/log.hpp"
#include "orm_bridge/odoo_session_store.hpp"
#include "orm_bridge/session.hpp"
#include "routes/dispatcher.hpp"
#include "routes/metrics_route.hpp"
#include "routes/rate_limiter.hpp"
#include "routes/route_table.hpp"
#include "routes/socketio/socketio_service.hpp"
#include "server/config.hpp"
#include "server/bus_listeners.hpp"
#include "server/http_server.hpp"
#include "server/memory_return.hpp"
#include "server/metrics_endpoint.hpp"
#include "server/server_metrics.hpp"
#include "server/websocket_server.hpp"
#include "server/send_command.hpp"
#include "routes/bus/message_bus.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <cstdio>
#include <iostream>

namespace {

namespace asio = boost::asio;

/// One descriptor per client: take the whole hard limit the system allows. Returns the limit.
std::size_t raise_descriptor_limit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 1024;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur == RLIM_INFINITY ? std::size_t(1) << 20 : static_cast<std::size_t>(limit.rlim_cur);
}

/// Client connections: at most max_connections, and always `descriptor_reserve` descriptors
/// fewer than the process may open, kept for PostgreSQL, files and answering at the cap.
std::size_t connection_cap(lp::server_config const& config, std::size_t descriptors)
{
    auto const available = descriptors > config.descriptor_reserve ? descriptors - config.descriptor_reserve : 1;
    return config.max_connections == 0 ? available : std::min(config.max_connections, available);
}

/// Odoo's data_dir/sessions; Odoo's default data_dir is ~/.local/share/Odoo.
std::filesystem::path session_directory(lp::server_config const& config)
{
    if (!config.data_dir.empty())
        return std::filesystem::path(config.data_dir) / "sessions";
    char const* home = std::getenv("HOME");
    return std::filesystem::path(home ? home : "/") / ".local/share/Odoo/sessions";
}

lp::socketio_settings socketio_settings(lp::server_config const& config)
{
    lp::socketio_settings s;
    s.path = config.socketio_path;
    s.engine.ping_interval = config.socketio_ping_interval;
    s.engine.ping_timeout = config.socketio_ping_timeout;
    s.engine.max_payload = config.socketio_max_payload;
    s.engine.max_queued = config.websocket_max_queued;
    s.engine.allow_eio3 = config.socketio_allow_eio3;
    s.engine.cors_origins = config.socketio_cors_origins;
    s.socketio.connect_timeout = config.socketio_connect_timeout;
    s.socketio.max_payload = config.socketio_max_payload;
    s.socketio.rate_limit_burst = config.socketio_rate_limit_burst;
    s.socketio.rate_limit_delay = config.socketio_rate_limit_delay;
    s.conformance = config.socketio_conformance;
    s.listen_channel = config.socketio_listen_channel;
    return s;
}

int serve(lp::server_config const& config)
{
    lp::log::set_level(lp::log::parse_level(config.log_level));
    for (auto const& key : config.ignored_keys)
        lp::log::debug("config", "ignoring option '", key, "' (not used by this server)");
    auto const descriptors = raise_descriptor_limit();
    // A client that goes away mid-reply must not kill the process.
    std::signal(SIGPIPE, SIG_IGN);

    std::vector<lp::route_definition> served;
    for (auto const& definition : lp::defined_routes())
        if (definition.route_set != "examples" || config.examples)
            served.push_back(definition);
    lp::route_table routes(served, config.longpolling_path);
    for (auto const& route : routes.routes())
        lp::log::info("routes", "Add the rule: '", route.rule(), "'");
    asio::io_context io(1);

    // Socket.IO: Engine.IO at socketio_path, its WebSocket among the endpoints below.
    std::unique_ptr<lp::socketio_service> socketio;
    if (!config.socketio_path.empty())
        socketio = std::make_unique<lp::socketio_service>(io.get_executor(), socketio_settings(config));
    std::vector<lp::websocket_definition> endpoints;
    for (auto const& definition : lp::defined_websockets())
        if (definition.route_set != "examples" || config.examples)
            endpoints.push_back(definition);
    if (socketio)
        for (auto const& definition : socketio->websockets())
            endpoints.push_back(definition);
    lp::websocket_table websocket_endpoints(endpoints, config.longpolling_path);
    for (auto const& rule : websocket_endpoints.rules())
        lp::log::info("routes", "Add the WebSocket endpoint: '", rule, "'");

    // PostgreSQL: one read-only cursor pool per database. statement_timeout stays below the
    // request deadline so PostgreSQL stops a slow statement before the client gives up.
    lp::orm::connection_settings pg;
    pg.host = config.db_host;
    pg.port = config.db_port;
    pg.user = config.db_user;
    pg.password = config.db_password;
    pg.max_cursor = config.max_cursor;
    pg.statement_timeout = std::max(std::chrono::milliseconds(500),
                                    std::chrono::milliseconds(config.longpolling_timeout) - std::chrono::milliseconds(500));
    lp::orm::database_set databases(io.get_executor(), config.databases, pg);
    for (auto const& [name, db] : databases.all())
        lp::log::info("server", "database '", name, "': at most ", config.max_cursor, " cursors");

    // Sessions come from Odoo's own session files. Without a database there is nothing to
    // check them against, and must_be_authenticated routes answer 401.
    std::unique_ptr<lp::orm::session_store> sessions;
    if (databases.all().empty()) {
        lp::log::warning("server", "no database (-d or db_name): models and sessions are unavailable");
        sessions = std::make_unique<lp::orm::no_session_store>();
    }
    else {
        auto const sessions_dir = session_directory(config);
        lp::log::info("server", "Odoo sessions are read from ", sessions_dir.string());
        sessions = std::make_unique<lp::orm::odoo_session_store>(sessions_dir, databases);
    }
    // Odoo's bus: waiters indexed by channel, fed by LISTEN imbus.
    lp::bus::message_bus bus(io.get_executor(), databases, {config.odoo_version, config.bus_timeout});
    lp::bus_listeners listeners(io.get_executor(), databases, bus, pg, config.bus_listen, config.bus_maintenance_db);
    listeners.start();

    lp::services shared;
    shared.databases = &databases;
    shared.bus = databases.all().empty() ? nullptr : &bus;
    shared.sessions = sessions.get();
    shared.websocket_rate_limit_burst = config.websocket_rate_limit_burst;
    shared.websocket_rate_limit_delay = config.websocket_rate_limit_delay;
    shared.websocket_worker_version = config.websocket_worker_version;
    // Odoo reads it from the environment too: one setting for both.
    auto const* samesite = std::getenv("ODOO_BUS_PUBLIC_SAMESITE_WS");
    shared.public_samesite_websocket = samesite && *samesite;
    shared.static_dir = std::filesystem::path(config.static_dir.empty() ? LP_DEFAULT_STATIC_DIR : config.static_dir);
    shared.allow_send = config.bus_allow_send;
    shared.stats = config.stats;
    shared.metrics = config.metrics;
    shared.bus_max_channels = config.bus_max_channels;
    shared.bus_max_channel_bytes = config.bus_max_channel_bytes;
    lp::rate_limiter writes_per_address(config.write_rate_per_ip);
    lp::rate_limiter presence_per_user(config.write_rate_per_ip);
    lp::rate_limiter writes_per_pos(config.write_rate_per_pos);
    shared.writes_per_address = &writes_per_address;
    shared.presence_per_user = &presence_per_user;
    shared.writes_per_pos = &writes_per_pos;
    lp::dispatcher requests(routes, *sessions, config.longpolling_timeout, &shared);
    if (socketio) {
        socketio->add_declared_namespaces(shared, *sessions, config.longpolling_timeout, config.examples);
        socketio->listen(databases, pg);
        socketio->serve_polling(requests);
    }
    lp::http_server server(io,
                           {asio::ip::make_address(config.interface), config.port},
                           {config.header_limit, config.body_limit, config.header_timeout, config.body_timeout,
                            connection_cap(config, descriptors), config.max_connections_per_ip, config.proxy_mode},
                           requests);
    lp::log::info("server", "at most ", connection_cap(config, descriptors), " connections (", descriptors,
                  " descriptors less descriptor_reserve)");
    lp::websocket_server websockets(io, websocket_endpoints,
                                    {config.websocket_max_message, config.websocket_max_queued,
                                     config.websocket_inactivity_timeout, config.websocket_pong_timeout,
                                     config.websocket_keep_alive_timeout},
                                    &shared);
    server.serve_websockets(websockets);
    shared.open_connections = [&server, &websockets] { return server.connections() + websockets.connections(); };
    shared.running_handlers = [&requests] { return requests.running(); };
    lp::server_metrics figures([&server] { return server.connections(); }, [&websockets] { return websockets.connections(); },
                               shared.running_handlers, databases, shared.bus);
    lp::memory_return memory(io, shared.open_connections);
    memory.start();
    server.start();
    auto const bound = server.local_endpoint();
    lp::log::info("server", "Start long polling server '", bound.address().to_string(), "':", bound.port());
    std::unique_ptr<lp::metrics_endpoint> metrics_port;
    if (config.metrics_port != 0) {
        metrics_port = std::make_unique<lp::metrics_endpoint>(
            io, asio::ip::tcp::endpoint{bound.address(), config.metrics_port},
            lp::http_limits{config.header_limit, config.body_limit, config.header_timeout, config.body_timeout},
            lp::metrics_route());
        lp::log::info("server", "metrics on '", bound.address().to_string(), "':", config.metrics_port, "/metrics");
    }

    // SIGINT/SIGTERM: answer every waiting request, close, exit 0. A second signal, or two
    // seconds without the connections closing, stops at once.
    asio::signal_set signals(io, SIGINT, SIGTERM);
    asio::steady_timer hard_stop(io);
    bool forced = false;
    signals.async_wait([&](boost::system::error_code ec, int signal_number) {
        if (ec)
            return;
        lp::log::info("server", "signal ", signal_number, ": shutting down (", server.connections(),
                      " connections open)");
        hard_stop.expires_after(std::chrono::seconds(2));
        hard_stop.async_wait([&](boost::system::error_code timer_ec) {
            if (!timer_ec) {
                lp::log::warning("server", "connections did not close within 2 s; stopping now");
                forced = true;
                io.stop();
            }
        });
        signals.async_wait([&](boost::system::error_code again, int) {
            if (!again) {
                forced = true;
                io.stop();
            }
        });
        // The server first, so that every answer from here on says Connection: close; then
        // parked polls answer [] (as at their timeout). Other waiting requests get 408.
        server.stop([&] {
            hard_stop.cancel();
            signals.cancel();
        });
        if (socketio)
            socketio->stop();
        bus.stop();
        listeners.stop();
        memory.stop();
        if (metrics_port)
            metrics_port->stop();
    });

    io.run();
    if (forced) {
        // Handlers are still suspended mid-request; unwinding them now would touch sockets
        // and connections in an io_context that is being torn down. Leave at once.
        lp::log::info("server", "stopped");
        std::_Exit(0);
    }
    databases.close();
    lp::log::info("server", "stopped");
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    lp::server_config config;
    try {
        config = lp::parse_command_line(argc, argv);
    }
    catch (lp::config_error const& e) {
        std::fprintf(stderr, "longpolling-server: %s\n", e.what());
        return 2;
    }
    if (config.show_help) {
        std::cout << lp::usage();
        return 0;
    }
    if (!config.send.empty())
        return lp::send_command(config);
    try {
        return serve(config);
    }
    catch (std::invalid_argument const& e) {
        // Bad route definitions or longpolling_path: a configuration problem.
        std::fprintf(stderr, "longpolling-server: %s\n", e.what());
        return 2;
    }
    catch (std::exception const& e) {
        lp::log::write(lp::log::level::critical, "server", e.what());
        return 1;
    }
}
