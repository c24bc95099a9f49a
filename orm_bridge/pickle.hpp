// A strict reader for the plain-data pickles Odoo writes as session files.
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <string_view>

namespace lp::orm {

/// The largest pickle read_pickle accepts, in bytes.
inline constexpr std::size_t max_pickle_size = std::size_t{1} << 20;

/// Decodes a protocol 2-5 pickle that holds only plain data: dict (str keys only), list,
/// tuple, set, frozenset, str, int (64 bits at most), float, bool and None. Dicts become
/// objects; lists, tuples and sets become arrays (sets in the order they were pickled).
/// Python 2's 8-bit strings (SHORT_BINSTRING, BINSTRING) are read as str when they are
/// UTF-8. Nothing is ever imported, called or constructed: any other opcode is refused.
///
/// Errors: std::invalid_argument naming the problem and its byte offset: an opcode outside
/// that set (named with its hex code), truncated input, stack underflow or an unclosed MARK,
/// a memo miss, a non-str dict key, a str that is not UTF-8, an int wider than 8 bytes,
/// bytes after STOP, input over max_pickle_size, or a result nested or expanded beyond the
/// reader's limits.
boost::json::value read_pickle(std::string_view bytes);

} // namespace lp::orm
