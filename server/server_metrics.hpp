// The transport's and the process's figures for GET /metrics: counters the transport bumps,
// and readings of what the server, the dispatcher, the bus and the pools already keep.
#pragma once

#include "orm_bridge/metrics.hpp"

#include <functional>
#include <vector>

namespace lp {

namespace orm {
class database_set;
}
namespace bus {
class message_bus;
}

/// Counts one HTTP response with this status (lp_http_responses_total{code}).
void count_response(unsigned status);

/// Registers, for as long as it lives, readings of the open connections (HTTP and WebSocket),
/// running handlers, and per database the bus's parked polls and fetches and the cursor
/// pool's state; and declares the limits-hit family.
class server_metrics {
public:
    server_metrics(std::function<std::size_t()> http_connections, std::function<std::size_t()> websocket_connections,
                   std::function<std::size_t()> handlers, orm::database_set& databases, bus::message_bus* bus);

private:
    std::vector<metrics::reading> readings_;
};

} // namespace lp
