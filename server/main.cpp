// longpolling-server: the process. Reads the configuration, binds the routes under
// longpolling_path, serves them on one thread, and shuts down cleanly on SIGINT/SIGTERM.
#include "orm_bridge/log.hpp"
#include "orm_bridge/session.hpp"
#include "routes/dispatcher.hpp"
#include "routes/route_table.hpp"
#include "server/config.hpp"
#include "server/http_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <iostream>

namespace {

namespace asio = boost::asio;

/// One descriptor per client: take the whole hard limit the system allows.
void raise_descriptor_limit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

int serve(lp::server_config const& config)
{
    lp::log::set_level(lp::log::parse_level(config.log_level));
    raise_descriptor_limit();
    // A client that goes away mid-reply must not kill the process.
    std::signal(SIGPIPE, SIG_IGN);

    lp::route_table routes(lp::defined_routes(), config.longpolling_path);
    for (auto const& route : routes.routes())
        lp::log::info("routes", "Add the rule: '", route.rule(), "'");

    asio::io_context io(1);
    // Real sessions arrive with the ORM bridge; until then must_be_authenticated routes answer 401.
    lp::orm::no_session_store sessions;
    lp::dispatcher requests(routes, sessions, config.longpolling_timeout);
    lp::http_server server(io,
                           {asio::ip::make_address(config.interface), config.port},
                           {config.header_limit, config.body_limit, config.header_timeout, config.body_timeout},
                           requests);
    server.start();
    auto const bound = server.local_endpoint();
    lp::log::info("server", "Start long polling server '", bound.address().to_string(), "':", bound.port());

    // SIGINT/SIGTERM: answer every waiting request, close, exit 0. A second signal, or two
    // seconds without the connections closing, stops at once.
    asio::signal_set signals(io, SIGINT, SIGTERM);
    asio::steady_timer hard_stop(io);
    signals.async_wait([&](boost::system::error_code ec, int signal_number) {
        if (ec)
            return;
        lp::log::info("server", "signal ", signal_number, ": shutting down (", server.connections(),
                      " connections open)");
        hard_stop.expires_after(std::chrono::seconds(2));
        hard_stop.async_wait([&](boost::system::error_code timer_ec) {
            if (!timer_ec) {
                lp::log::warning("server", "connections did not close within 2 s; stopping now");
                io.stop();
            }
        });
        signals.async_wait([&](boost::system::error_code again, int) {
            if (!again)
                io.stop();
        });
        server.stop([&] {
            hard_stop.cancel();
            signals.cancel();
        });
    });

    io.run();
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
