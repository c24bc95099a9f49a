// pos_longpolling's PING: the POS asks, and the answer comes back as "PONG" through the bus on
// that POS's channel, so it reaches the POS even between two polls and through whichever
// server instance holds its poll.
#include "routes/bus/message_bus.hpp"
#include "routes/bus/publisher.hpp"
#include "routes/route.hpp"
#include "routes/write_limits.hpp"

#include <boost/json.hpp>

namespace {
namespace json = boost::json;

boost::asio::awaitable<json::value> update_connection(lp::request& request)
{
    auto* bus = request.services().bus;
    auto* databases = request.services().databases;
    if (!bus || !databases)
        throw lp::service_unavailable("the bus needs a database: start the server with -d");
    auto const db_name = request.param<std::string>("db_name");
    auto* db = databases->find(db_name);
    if (!db)
        throw lp::bad_request("database '" + db_name + "' is not served by this server");
    auto const pos_id = request.param<std::int64_t>("pos_id");
    if (pos_id <= 0)
        throw lp::bad_request("'pos_id' must be a positive integer");
    auto const message = request.param<std::string>("message", "PING");
    if (message != "PING")
        throw lp::bad_request("pos_longpolling/update expects the message PING");

    lp::count_write(request, db_name + "/" + std::to_string(pos_id));

    auto const channel = lp::bus::pos_channel(db_name, "pos.longpolling", pos_id);
    std::vector<lp::bus::notification> pong{
        lp::bus::client_notification(bus->settings().odoo_version, db_name, channel, "PONG")};
    co_await lp::bus::publish(*db, std::move(pong), request.deadline());
    co_return 1;
}
LONGPOLLING_ADD_ROUTE(update_connection, "/pos_longpolling/update", lp::mode::json, lp::public_route,
                     lp::route_option::at_root, lp::route_option::cors);

} // namespace
