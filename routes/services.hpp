// What the server lends to every request: its databases, the bus, and a few settings.
// Handlers reach it through request.services().
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>

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
    bool stats = false;                     ///< whether <longpolling_path>/stats answers (longpolling_stats)
    bool metrics = false;                   ///< whether GET /metrics answers (metrics, or the metrics_port's own)
    std::function<std::size_t()> open_connections; ///< the transport's count, for the stats route
    std::function<std::size_t()> running_handlers; ///< the dispatcher's count, for the stats route
};

} // namespace lp
