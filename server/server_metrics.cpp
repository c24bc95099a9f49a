#include "server/server_metrics.hpp"

#include "orm_bridge/database.hpp"
#include "orm_bridge/limits_hit.hpp"
#include "routes/bus/message_bus.hpp"

#include <array>
#include <string>

namespace lp {

void count_response(unsigned status)
{
    // One counter per status, looked up once: this runs for every reply of a fan-out.
    static std::array<metrics::counter*, 600> by_status{};
    if (status >= by_status.size())
        status = 0;
    auto& slot = by_status[status];
    if (!slot)
        slot = &metrics::declare_counter("lp_http_responses_total", "HTTP responses sent, by status code",
                                         {{"code", std::to_string(status)}});
    slot->add();
}

server_metrics::server_metrics(std::function<std::size_t()> http_connections,
                               std::function<std::size_t()> websocket_connections,
                               std::function<std::size_t()> handlers, orm::database_set& databases,
                               bus::message_bus* bus)
{
    declare_limits_hit();
    using metrics::kind;
    auto add = [this](kind type, char const* name, char const* help, metrics::labels labels, auto read) {
        readings_.push_back(metrics::read_when_scraped(type, name, help, labels,
                                                       [read] { return static_cast<double>(read()); }));
    };
    add(kind::gauge, "lp_connections", "Open client connections, by transport", {{"transport", "http"}},
        http_connections);
    add(kind::gauge, "lp_connections", "Open client connections, by transport", {{"transport", "websocket"}},
        websocket_connections);
    add(kind::gauge, "lp_handlers_running", "Route handlers running now (parked polls hold none)", {}, handlers);
    for (auto const& [name, db_ptr] : databases.all()) {
        auto* db = db_ptr.get();
        metrics::labels const database{{"database", name}};
        auto pool = [db] { return db->pool().stats(); };
        add(kind::gauge, "lp_cursors_open", "Cursor pool: connections open or connecting", database,
            [pool] { return pool().open; });
        add(kind::gauge, "lp_cursors_idle", "Cursor pool: idle connections", database, [pool] { return pool().idle; });
        add(kind::gauge, "lp_cursors_waiting", "Cursor pool: requests queued for a cursor", database,
            [pool] { return pool().waiting; });
        add(kind::counter, "lp_cursor_leases_total", "Cursor pool: cursors handed out", database,
            [pool] { return pool().leases; });
        if (!bus)
            continue;
        auto figures = [bus, db] { return bus->stats(*db); };
        add(kind::gauge, "lp_bus_polls_waiting", "Polls held by the bus now (parked or reading)", database,
            [figures] { return figures().waiting; });
        add(kind::gauge, "lp_bus_channels", "Channels at least one poll listens on", database,
            [figures] { return figures().channels; });
        add(kind::counter, "lp_bus_fetches_total", "Shared reads of new bus_bus rows (one per wake-up round)", database,
            [figures] { return figures().fetches; });
        add(kind::counter, "lp_bus_first_reads_total", "Reads of bus_bus for arriving polls (one for many)", database,
            [figures] { return figures().first_reads; });
        add(kind::counter, "lp_bus_polls_answered_total", "Polls answered with notifications", database,
            [figures] { return figures().answered; });
        add(kind::counter, "lp_bus_polls_expired_total", "Polls answered [] at their timeout", database,
            [figures] { return figures().expired; });
        add(kind::counter, "lp_bus_polls_departed_total", "Polls whose client left before an answer", database,
            [figures] { return figures().departed; });
        add(kind::counter, "lp_bus_notifications_delivered_total", "Notifications (bus_bus rows) sent to polls",
            database, [figures] { return figures().delivered; });
    }
}

} // namespace lp
