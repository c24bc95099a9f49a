// Odoo's long-polling routes, at Odoo's own paths whatever longpolling_path is (clients and
// proxies already point there): /longpolling/poll, /longpolling/im_status,
// /longpolling/health, and /longpolling/send (Odoo 8-14; off unless bus_allow_send).
#include "routes/bus/fetch_driver.hpp"
#include "routes/bus/message_bus.hpp"
#include "routes/bus/odoo_json.hpp"
#include "routes/bus/presence.hpp"
#include "routes/bus/presence_report.hpp"
#include "routes/bus/publisher.hpp"
#include "routes/bus/subscription.hpp"
#include "routes/route.hpp"
#include "routes/write_limits.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <optional>
#include <set>
#include <vector>

namespace {
namespace asio = boost::asio;
namespace json = boost::json;

lp::bus::message_bus& bus_of(lp::request& request)
{
    auto* bus = request.services().bus;
    if (!bus)
        throw lp::service_unavailable("the bus needs a database: start the server with -d");
    return *bus;
}

json::object poll_options(lp::request& request)
{
    auto const value = request.param<json::value>("options", json::object{});
    if (value.is_null())
        return {};
    if (!value.is_object())
        throw lp::bad_request("bus.Bus: 'options' must be an object");
    static std::set<std::string_view> const known{"bus_inactivity", "bus_presence_partner_ids", "force_status",
                                                   "peek", "is_first_poll"};
    for (auto const& [name, option] : value.get_object())
        if (!known.contains(name))
            throw lp::bad_request("bus.Bus: unknown option '" + std::string(name) + "'");
    return value.get_object();
}

// Odoo answers a poll that found nothing with an empty list; so do we at the deadline and at shutdown.
LONGPOLLING_ROUTE(poll, "/longpolling/poll", lp::mode::json, lp::public_route, lp::route_option::at_root,
                  lp::route_option::cors, lp::route_option::answering_at_timeout(json::array{}))
{
    auto& bus = bus_of(request);
    static json::value const none = json::array{};
    auto const* asked = request.params().if_contains("channels"); // read in place: bounded before any copy
    auto const wanted = lp::bus::client_channels(asked ? *asked : none, request.services());
    auto const last = request.param<std::int64_t>("last", 0);
    if (last < 0)
        throw lp::bad_request("bus.Bus: 'last' must not be negative");
    auto const options = poll_options(request);
    auto& db = request.database();
    int const version = bus.settings().odoo_version;

    // Presence within its per-user rate; beyond, the poll goes on without it.
    if (auto const inactivity_ms = request.authenticated() ? lp::bus::inactivity_ms(options.if_contains("bus_inactivity")) : std::nullopt;
        inactivity_ms && lp::bus::presence_write_allowed(request.services(), db, request.uid())) {
        auto executor = co_await asio::this_coro::executor;
        asio::co_spawn(executor, lp::bus::update_presence(&db, version, request.uid(), *inactivity_ms), asio::detached);
    }

    // The channels as stored in bus_bus: the client's, Odoo 15's broadcast, then the hooks'.
    auto subscribed = co_await lp::bus::subscribe_to(request, wanted, version);

    // The reply is deferred: answered now if the recent rows hold some, else by the bus later
    // (after a read shared with the other arriving polls, or a notification), while this
    // coroutine (and the request's) is long gone.
    bus.subscribe(db, std::move(subscribed.keys), last, request.deadline(), request.defer());
    co_return nullptr;
}

/// Odoo's res.partner.im_status: offline after 55 s without a poll, away after 30 min idle.
asio::awaitable<json::value> im_status(lp::request& request)
{
    auto const ids = request.param<json::value>("partner_ids", json::array{});
    if (!ids.is_array())
        throw lp::bad_request("'partner_ids' must be a list of integers");
    std::vector<std::int64_t> partner_ids;
    for (auto const& id : ids.get_array()) {
        if (!id.is_int64())
            throw lp::bad_request("'partner_ids' must be a list of integers");
        partner_ids.push_back(id.get_int64());
    }
    lp::orm::pg::parameters params{lp::bus::pg_int_array(partner_ids)};
    auto rows = co_await request.cursor().query(lp::bus::im_status_sql(bus_of(request).settings().odoo_version), std::move(params));
    co_return rows;
}
LONGPOLLING_ADD_ROUTE(im_status, "/longpolling/im_status", lp::mode::json, lp::must_be_authenticated,
                     lp::route_option::at_root);

asio::awaitable<lp::http_reply> health(lp::request&)
{
    co_return lp::http_reply(R"({"status":"pass"})", 200, "application/json");
}
LONGPOLLING_ADD_ROUTE(health, "/longpolling/health", lp::mode::http, lp::public_route, lp::route_option::at_root);

/// Odoo 8-14's /longpolling/send: publish `message` on the string channel `channel`.
asio::awaitable<json::value> send(lp::request& request)
{
    if (!request.services().allow_send)
        throw lp::not_found("/longpolling/send is disabled (set bus_allow_send = True to enable it)");
    auto& bus = bus_of(request);
    auto& db = request.database();
    auto const channel = request.param<std::string>("channel");
    lp::count_write(request);
    std::vector<lp::bus::notification> one{
        lp::bus::client_notification(bus.settings().odoo_version, db.name(), channel, request.param<json::value>("message"))};
    co_await lp::bus::publish(db, std::move(one), request.deadline());
    co_return true;
}
LONGPOLLING_ADD_ROUTE(send, "/longpolling/send", lp::mode::json, lp::public_route, lp::route_option::at_root,
                     lp::route_option::cors);

} // namespace
