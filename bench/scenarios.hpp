// The three measurements: hold (N parked polls for S seconds), fanout (one publish to N
// parked polls: latency from publish to complete answer) and stream (N clients re-polling
// while M messages are published at a rate: throughput, loss, duplicates).
#pragma once

#include "bench/options.hpp"

namespace bench {

/// Runs the scenario of `o` and prints its figures; returns the exit status.
int run_scenario(options const& o);

} // namespace bench
