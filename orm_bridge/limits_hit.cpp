#include "orm_bridge/limits_hit.hpp"

#include "orm_bridge/metrics.hpp"

#include <array>
#include <string>

namespace lp {
namespace {

constexpr std::size_t limit_count = static_cast<std::size_t>(limit::websocket_max_queued) + 1;

/// The label: the setting's name (a switch, so that a new limit without a name does not compile
/// quietly: -Wswitch).
char const* name_of(limit which)
{
    switch (which) {
    case limit::max_connections: return "max_connections";
    case limit::descriptors: return "descriptors";
    case limit::max_connections_per_ip: return "max_connections_per_ip";
    case limit::http_header_limit: return "http_header_limit";
    case limit::http_body_limit: return "http_body_limit";
    case limit::http_header_timeout: return "http_header_timeout";
    case limit::http_body_timeout: return "http_body_timeout";
    case limit::json_max_depth: return "json_max_depth";
    case limit::json_memory: return "json_memory";
    case limit::bus_max_channels: return "bus_max_channels";
    case limit::bus_max_channel_bytes: return "bus_max_channel_bytes";
    case limit::write_rate_per_ip: return "write_rate_per_ip";
    case limit::write_rate_per_pos: return "write_rate_per_pos";
    case limit::presence_rate: return "presence_rate";
    case limit::websocket_max_message: return "websocket_max_message";
    case limit::websocket_max_queued: return "websocket_max_queued";
    }
    return "unknown";
}

/// The counters, declared together once.
std::array<metrics::counter*, limit_count> const& counters()
{
    static auto const all = [] {
        std::array<metrics::counter*, limit_count> declared{};
        for (std::size_t i = 0; i < limit_count; ++i)
            declared[i] = &metrics::declare_counter("lp_limits_hit_total",
                                                    "Requests, connections or writes refused (or skipped) by a limit",
                                                    {{"limit", name_of(static_cast<limit>(i))}});
        return declared;
    }();
    return all;
}

} // namespace

void count_limit_hit(limit which) { counters()[static_cast<std::size_t>(which)]->add(); }

void declare_limits_hit() { (void)counters(); }

} // namespace lp
