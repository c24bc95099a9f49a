// Percent-decoding of paths, query strings and form bodies, and Cookie header lookup.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lp {

/// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as in query strings).
/// Returns nullopt on a malformed escape.
std::optional<std::string> url_decode(std::string_view text, bool plus_is_space);

/// Splits "a=1&b=x%20y" into decoded pairs, in order. A key without '=' has an empty value.
/// Returns nullopt when an escape is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

/// The value of cookie `name` in a Cookie header ("a=1; session_id=xyz"), if present.
std::optional<std::string> find_cookie(std::string_view cookie_header, std::string_view name);

} // namespace lp
