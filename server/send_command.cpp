#include "server/send_command.hpp"

#include "orm_bridge/database.hpp"
#include "routes/bus/publisher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <cstdio>

namespace lp {
namespace {
/// JSON when the text is JSON, else the text as a string (so `--send demo news hello` works).
boost::json::value json_or_text(std::string const& text)
{
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    return ec ? boost::json::value(boost::json::string(text)) : v;
}
} // namespace

int send_command(server_config const& config)
{
    auto const& db_name = config.send.at(0);
    auto const channel = json_or_text(config.send.at(1));
    auto const message = json_or_text(config.send.at(2));

    boost::asio::io_context io(1);
    orm::connection_settings pg;
    pg.host = config.db_host;
    pg.port = config.db_port;
    pg.user = config.db_user;
    pg.password = config.db_password;
    orm::database_set databases(io.get_executor(), {db_name}, pg);
    // A string channel is a client's channel: shaped per Odoo version like /longpolling/send;
    // anything else (e.g. ["db","res.partner",7]) is stored as given.
    std::vector<bus::notification> one;
    if (channel.is_string())
        one.push_back(bus::client_notification(config.odoo_version, db_name, std::string(channel.get_string()), message));
    else
        one.emplace_back(channel, message);

    std::exception_ptr failure;
    std::int64_t written = 0;
    boost::asio::co_spawn(
        io, bus::publish(*databases.find(db_name), std::move(one), std::chrono::steady_clock::now() + std::chrono::seconds(30)),
        [&](std::exception_ptr e, std::int64_t n) {
            failure = e;
            written = n;
        });
    io.run();
    databases.close();
    if (failure) {
        try {
            std::rethrow_exception(failure);
        }
        catch (std::exception const& e) {
            std::fprintf(stderr, "longpolling-server: --send failed: %s\n", e.what());
        }
        return 1;
    }
    std::printf("sent %lld notification(s) on %s\n", static_cast<long long>(written), db_name.c_str());
    return 0;
}

} // namespace lp
