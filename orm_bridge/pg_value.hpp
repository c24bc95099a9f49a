// PostgreSQL text values as JSON: typed as OpenERP's read() returns them, or as plain JSON.
#pragma once

#include "orm_bridge/pg_result.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <string_view>

namespace lp::orm {

/// A value as OpenERP's read() returns it, by the column's type name (int4, bool, timestamp,
/// jsonb...): NULL is false, integers and floats are numbers, timestamps "YYYY-MM-DD HH:MM:SS"
/// (no fraction, as Odoo's format), json/jsonb parsed, anything else a string.
boost::json::value odoo_value(std::string_view type_name, bool is_null, std::string_view text);

/// A value as plain JSON, by the result column's type OID: NULL is null.
boost::json::value plain_value(Oid type, bool is_null, std::string_view text);

/// Every row of `r` as an object of column name to plain_value.
boost::json::array rows_as_objects(pg::result const& r);

} // namespace lp::orm
