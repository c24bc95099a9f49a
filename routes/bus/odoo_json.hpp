// JSON text exactly as Odoo writes it into bus_bus: Python's
// json.dumps(value, separators=(',', ':')) with ensure_ascii. Odoo matches channels by string
// equality of this text, so it must be byte-identical.
#pragma once

#include <boost/json/value.hpp>

#include <string>

namespace lp::bus {

/// Compact, ASCII-only JSON: no spaces, non-ASCII as \uXXXX (surrogate pairs above U+FFFF),
/// object keys in their order, floats as Python's repr.
std::string odoo_json(boost::json::value const& value);

} // namespace lp::bus
