#include "bench/report.hpp"

#include "routes/bus/odoo_json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace bench {

double percentile(std::vector<double> const& sorted, double p)
{
    if (sorted.empty())
        return 0;
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

boost::json::object latency_summary(std::vector<double>& values_ms)
{
    std::sort(values_ms.begin(), values_ms.end());
    return {{"min", number(values_ms.empty() ? 0 : values_ms.front(), 3)},
            {"p50", number(percentile(values_ms, 50), 3)},
            {"p90", number(percentile(values_ms, 90), 3)},
            {"p99", number(percentile(values_ms, 99), 3)},
            {"max", number(values_ms.empty() ? 0 : values_ms.back(), 3)}};
}

boost::json::object error_object(std::map<std::string, std::size_t> const& errors)
{
    boost::json::object o;
    for (auto const& [what, n] : errors)
        o[what] = n;
    return o;
}

void print_report(boost::json::object const& figures, std::string const& human)
{
    // Compact, doubles as people write them (Boost.JSON would print 9.55E0).
    auto const line = lp::bus::odoo_json(figures);
    std::printf("%s\n# %s\n", line.c_str(), human.c_str());
    std::fflush(stdout);
}

boost::json::value number(double v, int decimals)
{
    double const scale = std::pow(10.0, decimals);
    double const r = std::round(v * scale) / scale;
    if (r == std::floor(r) && std::fabs(r) < 9e15)
        return static_cast<std::int64_t>(r);
    return r;
}

std::string fixed(double v, int decimals)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

} // namespace bench
