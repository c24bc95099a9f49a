// lp-bench: opens N concurrent long-polls against this server (Odoo's /longpolling/poll or a
// plain GET route) or against nginx + nchan, and measures hold, fanout or stream. It prints
// figures (one JSON line and one human line) and asserts nothing: scripts/bench runs it.
#include "bench/options.hpp"
#include "bench/scenarios.hpp"

#include <sys/resource.h>

#include <csignal>
#include <cstdio>

namespace {

/// One descriptor per client: take the whole hard limit.
void raise_descriptor_limit(std::size_t wanted)
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur != RLIM_INFINITY && wanted + 32 > limit.rlim_cur)
        std::fprintf(stderr, "lp-bench: warning: %zu clients but only %llu file descriptors allowed\n", wanted,
                     static_cast<unsigned long long>(limit.rlim_cur));
}

} // namespace

int main(int argc, char** argv)
{
    auto const o = bench::parse_options(argc, argv);
    raise_descriptor_limit(o.clients);
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return bench::run_scenario(o);
    }
    catch (std::exception const& e) {
        std::fprintf(stderr, "lp-bench: %s\n", e.what());
        return 1;
    }
}
