// The rate limits of the routes that write to the database (bus_bus INSERT + NOTIFY).
#pragma once

#include <optional>
#include <string_view>

namespace lp {

class request;

/// Counts one write by `request`'s client address and, when given, for `pos_key` (a POS).
/// Errors: too_many_requests (429, Retry-After) when either is over its limit.
void count_write(request const& request, std::optional<std::string_view> pos_key = std::nullopt);

} // namespace lp
