// GET /metrics: every metric of the process in Prometheus's text format (orm_bridge/metrics).
// Off unless `metrics = True`; the metrics_port serves this route alone.
#pragma once

#include "routes/route.hpp"

namespace lp {

/// The route, at the root whatever longpolling_path is.
route_definition metrics_route();

} // namespace lp
