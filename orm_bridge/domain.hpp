// Odoo search domains and order specs compiled to SQL (pure, no I/O). Every field name is
// checked against the table's real columns and every value is type-checked and bound as a
// parameter, so no client string reaches the SQL text.
#pragma once

#include "orm_bridge/sql_fragment.hpp"
#include "orm_bridge/table_schema.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace lp::orm {

/// Compiles an Odoo domain (JSON array in Polish notation) into a WHERE condition on `schema`'s
/// table, appending its parameters to `out` (so placeholders continue from out.params.size()+1)
/// and returning the condition text ("TRUE" for an empty domain). Columns are written qualified
/// as "<table>"."<column>". `out.sql` is not touched.
///
/// Errors: orm::bad_argument ("domain: ...") for any malformed domain, unknown field, unsupported
/// operator or ill-typed value; `out.params` is then left as it was.
std::string compile_domain(boost::json::value const& domain, table_schema const& schema, sql_fragment& out);

/// Compiles an Odoo order spec ("name desc, id", "write_date DESC NULLS LAST") into an ORDER BY
/// list such as "<table>"."name" DESC, "<table>"."id" ASC. An empty (or blank) spec orders by
/// id, Odoo's default _order (or by nothing, "TRUE", for a table without an id column), so the
/// result always fits after ORDER BY.
///
/// Errors: orm::bad_argument ("order: ...") for unknown fields, bad syntax or more than 20 items.
std::string compile_order(std::string_view order, table_schema const& schema);

/// True when the domain mentions `field` as the field of some leaf (used to decide Odoo's
/// implicit active=True filter). A malformed domain is scanned as far as it goes.
///
/// Errors: none.
bool domain_mentions(boost::json::value const& domain, std::string_view field) noexcept;

} // namespace lp::orm
