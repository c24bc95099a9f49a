// Odoo 16-18's WebSocket bus, at Odoo's own paths whatever longpolling_path is: /websocket
// (the endpoint; the work is odoo_socket's), and the HTTP routes beside it:
// /websocket/health, /websocket/peek_notifications, /websocket/update_bus_presence.
#include "orm_bridge/log.hpp"
#include "routes/bus/message_bus.hpp"
#include "routes/bus/odoo_socket.hpp"
#include "routes/bus/presence.hpp"
#include "routes/bus/presence_report.hpp"
#include "routes/bus/subscription.hpp"
#include "routes/bus/websocket_session_marks.hpp"
#include "routes/route.hpp"
#include "routes/url.hpp"
#include "routes/websocket.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>


namespace {
namespace asio = boost::asio;
namespace json = boost::json;

/// A query parameter's value ("" when absent or when the query does not parse).
std::string query_value(std::string const& query, std::string_view name)
{
    if (auto pairs = lp::parse_query(query))
        for (auto& [key, value] : *pairs)
            if (key == name)
                return std::move(value);
    return {};
}

/// A connection closed at its opening: its messages are not read.
struct closed_websocket_handler final : lp::websocket_handler {
    void on_message(lp::websocket_session&, std::string_view, bool) override {}
};

struct odoo_websocket_handler final : lp::websocket_handler {
    explicit odoo_websocket_handler(std::shared_ptr<lp::bus::odoo_socket> s) : socket(std::move(s)) {}
    void on_message(lp::websocket_session&, std::string_view data, bool) override { socket->received(data); }
    void on_close(std::uint16_t) override { socket->closed(); }
    std::shared_ptr<lp::bus::odoo_socket> socket;
};

/// Odoo 17 and 18 close a browser's worker of another version than theirs at once, with
/// 1000 (a clean close: the worker does not retry) and OUTDATED_VERSION (it tells the page to
/// reload); a client without a User-Agent (an IoT box) is let in. 16 has no such check; nor
/// has this server unless websocket_worker_version names the version of the Odoo it serves.
bool outdated_worker(lp::websocket_request const& request, std::string const& worker_version, int odoo_version)
{
    return odoo_version >= 17 && !worker_version.empty() && !request.user_agent.empty()
        && worker_version != query_value(request.query, "version");
}

/// Whether `origin` (scheme://host[:port]) is the server's own as the request reached it:
/// Odoo compares its scheme and netloc with the request's scheme and Host header.
bool same_origin(lp::websocket_request const& request)
{
    auto const origin = std::string_view(request.origin);
    auto const scheme_end = origin.find("://");
    if (scheme_end == std::string_view::npos)
        return false; // "null" (a sandboxed page), or not a URL
    auto const rest = origin.substr(scheme_end + 3);
    auto const netloc = rest.substr(0, rest.find_first_of("/?#"));
    return origin.substr(0, scheme_end) == request.scheme && netloc == request.host;
}

/// GET /websocket?version=...: Odoo requires an Origin header (the transport checks the
/// others).
std::unique_ptr<lp::websocket_handler> open_odoo_websocket(lp::websocket_session& session,
                                                           lp::websocket_request const& request)
{
    if (request.origin.empty())
        throw lp::bad_request("Empty Origin header");
    if (!request.shared || !request.shared->bus)
        throw lp::service_unavailable("the bus needs a database: start the server with -d");
    int const odoo_version = request.shared->bus->settings().odoo_version;
    if (odoo_version < 15)
        throw lp::not_found("/websocket is Odoo 16's bus (odoo_version is below 15)");
    if (outdated_worker(request, request.shared->websocket_worker_version, odoo_version)) {
        session.close(1000, "OUTDATED_VERSION");
        return std::make_unique<closed_websocket_handler>();
    }
    // Odoo 17+ with ODOO_BUS_PUBLIC_SAMESITE_WS: a socket from another origin (whose cookie
    // SameSite may not protect) is the public user of the session's database.
    bool const downgraded = request.shared->public_samesite_websocket && odoo_version >= 17 && !same_origin(request);
    if (downgraded)
        lp::log::warning("websocket", "Downgrading websocket session. Host=", request.host, ", Origin=", request.origin,
                         ", Scheme=", request.scheme, ".");
    auto socket = std::make_shared<lp::bus::odoo_socket>(session, *request.shared,
                                                         lp::find_cookie(request.cookie, "session_id"),
                                                         query_value(request.query, "db"), downgraded);
    socket->start();
    return std::make_unique<odoo_websocket_handler>(std::move(socket));
}
lp::websocket_registrar const odoo_websocket{
    lp::websocket_definition{"odoo_websocket", "/websocket", &open_odoo_websocket, true, "", false}.at_root()};

asio::awaitable<lp::http_reply> websocket_health(lp::request&)
{
    co_return lp::http_reply(R"({"status": "pass"})", 200, "application/json");
}
LONGPOLLING_ADD_ROUTE(websocket_health, "/websocket/health", lp::mode::http, lp::public_route,
                     lp::route_option::at_root);

/// The sessions marked by a first peek (one server per process; its one thread uses it).
lp::bus::websocket_session_marks websocket_sessions;

/// A parameter as Python tests it for truth (Odoo's `if is_first_poll:`).
bool python_truth(json::value const* v)
{
    if (!v || v->is_null())
        return false;
    if (v->is_bool())
        return v->get_bool();
    if (v->is_number())
        return v->to_number<double>() != 0;
    if (v->is_string())
        return !v->get_string().empty();
    return v->is_array() ? !v->get_array().empty() : !v->get_object().empty();
}

/// Odoo's fallback when the WebSocket cannot open: the rows of the subscription after `last`.
asio::awaitable<json::value> peek_notifications(lp::request& request)
{
    auto* bus = request.services().bus;
    if (!bus)
        throw lp::service_unavailable("the bus needs a database: start the server with -d");
    websocket_sessions.check(request, python_truth(request.params().if_contains("is_first_poll")));
    auto const wanted = lp::bus::client_channels(request.param<json::value>("channels"), request.services());
    auto const last = std::max<std::int64_t>(request.param<std::int64_t>("last"), 0);
    int const version = bus->settings().odoo_version;
    auto subscription = co_await lp::bus::subscribe_to(request, wanted, version);
    auto replay = co_await bus->replays(request.database()).read(subscription.keys, last);
    json::array notifications;
    for (auto const& row : replay.rows)
        notifications.push_back(json::parse(row.json));
    co_return json::object{{"channels", std::move(subscription.channels)}, {"notifications", std::move(notifications)}};
}
LONGPOLLING_ADD_ROUTE(peek_notifications, "/websocket/peek_notifications", lp::mode::json, lp::public_route,
                     lp::route_option::at_root, lp::route_option::cors);

/// The presence of the session's user, for clients without a WebSocket (as update_presence).
asio::awaitable<json::value> update_bus_presence(lp::request& request)
{
    auto* bus = request.services().bus;
    auto const* inactivity = request.params().if_contains("inactivity_period");
    auto const ms = lp::bus::inactivity_ms(inactivity);
    if (inactivity && !ms)
        throw lp::bad_request("'inactivity_period' must be a number of milliseconds");
    auto partner_ids = lp::bus::im_status_partner_ids(request.params().if_contains("im_status_ids_by_model"),
                                                      request.services());
    websocket_sessions.check(request, false); // no first poll here: the mark must be there
    if (bus && request.authenticated() && lp::bus::presence_write_allowed(request.services(), request.database(), request.uid())) {
        int const version = bus->settings().odoo_version;
        co_await lp::bus::update_presence(&request.database(), version, request.uid(), ms.value_or(0));
        co_await lp::bus::answer_im_status(request.database(), version, request.uid(), std::move(partner_ids));
    }
    co_return json::object{};
}
LONGPOLLING_ADD_ROUTE(update_bus_presence, "/websocket/update_bus_presence", lp::mode::json, lp::public_route,
                     lp::route_option::at_root, lp::route_option::cors);

} // namespace
