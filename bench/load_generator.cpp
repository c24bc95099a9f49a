// lp-bench: opens N concurrent long-polls (Odoo's /longpolling/poll or a plain GET route) or
// WebSockets (Odoo's /websocket) against this server, or the same against nginx + nchan, and
// measures hold, fanout, stream, reconnect, departures or mixed. It prints
// figures (one JSON line and one human line) and asserts nothing: scripts/bench runs it.
#include "bench/options.hpp"
#include "bench/proc_stats.hpp"
#include "bench/scenarios.hpp"

#include <csignal>
#include <cstdio>

int main(int argc, char** argv)
{
    auto const o = bench::parse_options(argc, argv);
    bench::raise_descriptor_limit(o.clients + (o.mode == bench::scenario::mixed ? o.long_polls : 0), "lp-bench");
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return bench::run_scenario(o);
    }
    catch (std::exception const& e) {
        std::fprintf(stderr, "lp-bench: %s\n", e.what());
        return 1;
    }
}
