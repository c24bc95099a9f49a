// <longpolling_path>/stats: what the server holds now, for operators and for the benchmark
// (an exact "every poll is parked" barrier). Off unless longpolling_stats = True: the counts
// say how busy each database is, which is nobody else's business.
#include "routes/bus/message_bus.hpp"
#include "routes/route.hpp"

#include <boost/json.hpp>

namespace {
namespace json = boost::json;

json::object bus_figures(lp::bus::bus_stats const& s)
{
    return {{"waiting", s.waiting},         {"arriving", s.arriving},
            {"channels", s.channels}, {"recent_rows", s.recent_rows},
            {"fetches", s.fetches},         {"first_reads", s.first_reads}, {"answered", s.answered},
            {"expired", s.expired}, {"departed", s.departed}};
}

json::object cursor_figures(lp::orm::pool_stats const& s)
{
    return {{"open", s.open},       {"idle", s.idle},       {"waiting", s.waiting},
            {"leases", s.leases},   {"dropped", s.dropped}, {"connect_failures", s.connect_failures}};
}

boost::asio::awaitable<json::value> stats(lp::request& request)
{
    auto const& services = request.services();
    if (!services.stats)
        throw lp::not_found("the stats route is disabled (set longpolling_stats = True to enable it)");
    json::object databases;
    if (services.databases)
        for (auto const& [name, db] : services.databases->all()) {
            json::object figures{{"cursors", cursor_figures(db->pool().stats())}};
            if (services.bus) {
                figures["bus"] = bus_figures(services.bus->stats(*db));
                auto const& sockets = services.bus->sockets(*db);
                figures["websockets"] = json::object{{"subscribed", sockets.subscribers()},
                                                     {"channels", sockets.channels()},
                                                     {"session_lookups", services.bus->sessions(*db).lookups()},
                                                     {"replays_from_memory", sockets.replays_from_memory()}};
            }
            databases[name] = std::move(figures);
        }
    json::object out;
    if (services.open_connections)
        out["connections"] = services.open_connections();
    if (services.running_handlers) // this request's own handler left out
        out["handlers_running"] = std::max<std::size_t>(services.running_handlers(), 1) - 1;
    out["databases"] = std::move(databases);
    co_return out;
}
LONGPOLLING_ADD_ROUTE(stats, "/stats", lp::mode::json, lp::public_route);

} // namespace
