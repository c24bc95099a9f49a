// Python 3's repr() of plain values, byte for byte: Odoo hashes such text (the session
// token key is str() of a tuple), so the server must produce exactly the same bytes.
#pragma once

#include <boost/json/value.hpp>

#include <span>
#include <string>
#include <string_view>

namespace lp::orm {

/// Python 3's repr() of a str given as UTF-8: quotes, escapes and \xNN/\uNNNN/\UNNNNNNNN
/// forms for non-printable characters.
///
/// Printability follows str.isprintable exactly for ASCII, Latin-1, every character of the
/// Unicode categories Cc, Cf, Cs, Co, Zs, Zl, Zp (Unicode 14/15) and the unassigned planes
/// 4-13, plane 14's gaps and the noncharacters. Approximation: other unassigned code points
/// (scattered inside mostly assigned blocks; they vary with Python's Unicode version) are
/// kept literally where CPython would escape them.
///
/// Errors: std::invalid_argument when utf8 is not well-formed UTF-8.
std::string python_string_repr(std::string_view utf8);

/// Python 3's repr() of a JSON scalar: None, True/False, an int, or a str (as above).
///
/// Errors: std::invalid_argument for doubles, arrays and objects, and for non-UTF-8 strings.
std::string python_repr(boost::json::value const& v);

/// Python 3's str() of a tuple of such scalars: "()", "(x,)" for one item, "(x, y)".
///
/// Errors: as python_repr.
std::string python_tuple_repr(std::span<boost::json::value const> items);

} // namespace lp::orm
