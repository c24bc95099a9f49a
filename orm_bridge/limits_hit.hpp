// The "limits hit" counter family of GET /metrics: lp_limits_hit_total{limit}, one series per
// bound a client can run into, named after its setting. Every series exists (at 0) from the
// first count or declare_limits_hit(), so that a rate() over it works before the first hit.
#pragma once

#include <cstdint>

namespace lp {

enum class limit : std::uint8_t {
    max_connections,        ///< at the cap with no idle connection to shed: 503
    descriptors,            ///< accept() failed for want of a descriptor (the process's or the system's)
    max_connections_per_ip, ///< 429
    http_header_limit,      ///< a header, chunk line or trailer section too large: 431
    http_body_limit,        ///< 413
    http_header_timeout,    ///< a request header (or the next request) not received in time
    http_body_timeout,      ///< a body not received (or a reply not taken) in time
    json_max_depth,         ///< JSON nested too deep: 400
    json_memory,            ///< JSON that takes too much memory once parsed: 413
    bus_max_channels,       ///< 400
    bus_max_channel_bytes,  ///< 400
    write_rate_per_ip,      ///< a bus write refused: 429
    write_rate_per_pos,     ///< 429
    presence_rate,          ///< a presence update skipped (write_rate_per_ip per user)
    websocket_max_message,  ///< a WebSocket message too big: closed with 1009
    websocket_max_queued,   ///< a WebSocket client that does not read: closed with 1008 (keep last: the count)
};

/// Counts one hit of `which`.
void count_limit_hit(limit which);

/// Declares every series of the family (at 0).
void declare_limits_hit();

} // namespace lp
