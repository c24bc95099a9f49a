// The LISTEN imbus connections that feed the bus: one per served database and one on the
// maintenance database Odoo notifies on (configurable with bus_listen).
#pragma once

#include "orm_bridge/database.hpp"
#include "orm_bridge/listener.hpp"
#include "routes/bus/message_bus.hpp"

#include <memory>
#include <string>
#include <vector>

namespace lp {

class bus_listeners {
public:
    /// `where`: both, postgres (the maintenance database only), business, none.
    bus_listeners(boost::asio::any_io_executor executor, orm::database_set& databases, bus::message_bus& bus,
                  orm::connection_settings const& connection, std::string const& where,
                  std::string const& maintenance_db);

    void start();
    void stop();

private:
    std::vector<std::unique_ptr<orm::listener>> listeners_;
};

} // namespace lp
