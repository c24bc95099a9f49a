#include "server/bus_listeners.hpp"

#include "orm_bridge/metrics.hpp"

#include <utility>

namespace lp {

bus_listeners::bus_listeners(boost::asio::any_io_executor executor, orm::database_set& databases,
                             bus::message_bus& bus, orm::connection_settings const& connection,
                             std::string const& where, std::string const& maintenance_db)
{
    auto add = [&](std::string const& dbname, orm::database* db) {
        metrics::labels const listener{{"listener", dbname}};
        auto& wakeups = metrics::declare_counter("lp_bus_wakeups_total", "NOTIFY imbus received", listener);
        auto& reconnects = metrics::declare_counter("lp_listener_reconnects_total",
                                                    "LISTEN connections made again after a loss", listener);
        orm::listener_settings settings;
        settings.name = dbname;
        settings.connection = orm::connection_parameters_for(connection, dbname, "longpolling-server-listener:" + dbname);
        // A notification on a business database concerns it alone; one on the maintenance
        // database (Odoo's) may concern any served database.
        listeners_.push_back(std::make_unique<orm::listener>(
            executor, settings,
            [&bus, db, &wakeups](std::string const& payload) {
                wakeups.add();
                bus.notified(db, payload);
            },
            [&bus, db, &reconnects, first = true]() mutable {
                if (!std::exchange(first, false))
                    reconnects.add();
                bus.wake_everyone(db);
            }));
    };
    if (databases.all().empty() || where == "none")
        return;
    if (where == "both" || where == "business")
        for (auto const& [name, db] : databases.all())
            add(name, db.get());
    if ((where == "both" || where == "postgres") && !databases.find(maintenance_db))
        add(maintenance_db, nullptr);
}

void bus_listeners::start()
{
    for (auto& l : listeners_)
        l->start();
}

void bus_listeners::stop()
{
    for (auto& l : listeners_)
        l->stop();
}

} // namespace lp
