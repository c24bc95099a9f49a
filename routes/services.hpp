// What the server lends to every request: its databases, the bus, and a few settings.
// Handlers reach it through request.services().
#pragma once

#include <filesystem>

namespace lp {

namespace orm {
class database_set;
}
namespace bus {
class message_bus;
}

struct services {
    orm::database_set* databases = nullptr; ///< null when no database is served
    bus::message_bus* bus = nullptr;        ///< null when no database is served
    std::filesystem::path static_dir;       ///< the browser clients (client/), served under <prefix>/static/
    bool allow_send = false;                ///< whether /longpolling/send publishes (Odoo 8-14 had it public)
};

} // namespace lp
