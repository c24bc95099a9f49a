// What the server lends to every request: its databases, the bus, and a few settings.
// Handlers reach it through request.services().
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>

namespace lp {

namespace orm {
class database_set;
class session_store;
}
namespace bus {
class message_bus;
}
class rate_limiter;

struct services {
    orm::database_set* databases = nullptr; ///< null when no database is served
    bus::message_bus* bus = nullptr;        ///< null when no database is served
    orm::session_store* sessions = nullptr; ///< Odoo's sessions, for handlers outside the dispatcher (WebSockets)
    std::filesystem::path static_dir;       ///< the browser clients (client/), served under <prefix>/static/
    bool allow_send = false;                ///< whether /longpolling/send publishes (Odoo 8-14 had it public)
    bool stats = false;                     ///< whether <longpolling_path>/stats answers (longpolling_stats)
    bool metrics = false;                   ///< whether GET /metrics answers (metrics, or the metrics_port's own)
    std::size_t bus_max_channels = 1000;    ///< channels in one poll (bus_max_channels)
    std::size_t bus_max_channel_bytes = 1024; ///< bytes of one channel name
    rate_limiter* writes_per_address = nullptr; ///< /longpolling/send, /pos_longpolling/update; null: no limit
    rate_limiter* writes_per_pos = nullptr;     ///< /pos_longpolling/update per POS; null: no limit
    rate_limiter* presence_per_user = nullptr;  ///< bus_presence writes of polls; beyond, skipped
    std::size_t websocket_rate_limit_burst = 10; ///< Odoo's /websocket: more messages than this...
    std::chrono::milliseconds websocket_rate_limit_delay{200}; ///< ...each less than this apart: 1013
    /// ODOO_BUS_PUBLIC_SAMESITE_WS set: a cross-origin /websocket is the public user (Odoo 17+).
    bool public_samesite_websocket = false;
    std::string websocket_worker_version; ///< Odoo 17+'s /websocket: a browser's other ?version= is outdated ("": no check)
    std::function<std::size_t()> open_connections; ///< the transport's count, for the stats route
    std::function<std::size_t()> running_handlers; ///< the dispatcher's count, for the stats route
};

} // namespace lp
