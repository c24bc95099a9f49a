// A request's JSON, parsed under limits: nesting depth, and memory in proportion to its size,
// so that no body within http_body_limit costs the server many times its size (an array of
// 500,000 zeros is 1 MB of text but 8 MB of parsed values).
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <string_view>

namespace lp {

/// Deepest nesting of arrays and objects accepted (Boost.JSON's default, stated here).
inline constexpr std::size_t json_max_depth = 32;

/// Memory the parsing of `text_size` bytes of JSON may take, the parser's stack included:
/// two and a half times the text plus 256 KiB (the fixed costs of small requests), so that a
/// body and its parsed value together stay within four times the body.
constexpr std::size_t json_memory_limit(std::size_t text_size) { return text_size * 5 / 2 + 256 * 1024; }

/// Parses `text`. The value (and what is moved out of it) lives in storage of its own, freed
/// with the last of them, that refuses to grow past json_memory_limit(text.size()).
/// Errors: bad_request (400) for invalid JSON or nesting deeper than json_max_depth;
/// payload_too_large (413) past the memory limit.
boost::json::value parse_request_json(std::string_view text);

} // namespace lp
