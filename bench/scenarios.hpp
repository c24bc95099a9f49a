// The measurements: hold (N parked polls for S seconds), fanout (one publish to N
// parked polls: latency from publish to complete answer), stream (N clients re-polling
// while M messages are published at a rate: throughput, loss, duplicates), reconnect (N
// clients opening their first poll at once, then again with a stale cursor: errors, bus_bus
// reads) and departures (N parked clients vanish: time until none is held, RSS).
#pragma once

#include "bench/options.hpp"

namespace bench {

/// Runs the scenario of `o` and prints its figures; returns the exit status.
int run_scenario(options const& o);

} // namespace bench
