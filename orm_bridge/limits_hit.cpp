#include "orm_bridge/limits_hit.hpp"

#include "orm_bridge/metrics.hpp"

#include <array>
#include <string_view>

namespace lp {
namespace {

constexpr std::array<std::string_view, 15> limit_names{
    "max_connections",     "max_connections_per_ip", "http_header_limit",     "http_body_limit",
    "http_header_timeout", "http_body_timeout",      "json_max_depth",        "json_memory",
    "bus_max_channels",    "bus_max_channel_bytes",  "write_rate_per_ip",     "write_rate_per_pos",
    "presence_rate",       "websocket_max_message",  "websocket_max_queued",
};
static_assert(limit_names.size() == static_cast<std::size_t>(limit::websocket_max_queued) + 1);

/// The counters, declared together once.
std::array<metrics::counter*, limit_names.size()> const& counters()
{
    static auto const all = [] {
        std::array<metrics::counter*, limit_names.size()> declared{};
        for (std::size_t i = 0; i < limit_names.size(); ++i)
            declared[i] = &metrics::declare_counter("lp_limits_hit_total",
                                                    "Requests, connections or writes refused (or skipped) by a limit",
                                                    {{"limit", std::string(limit_names[i])}});
        return declared;
    }();
    return all;
}

} // namespace

void count_limit_hit(limit which) { counters()[static_cast<std::size_t>(which)]->add(); }

void declare_limits_hit() { (void)counters(); }

} // namespace lp
