// Odoo search domains and order specs compiled to SQL (pure, no I/O). Every field name is
// checked against the table's real columns and every value is type-checked and bound as a
// parameter, so no client string reaches the SQL text.
#pragma once

#include "orm_bridge/sql_fragment.hpp"
#include "orm_bridge/table_schema.hpp"

#include <boost/json/value.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace lp::orm {

/// Thrown by compile_domain when it needs the schema of a table its scope has not loaded yet:
/// the caller loads it (I/O) and compiles again.
struct schema_needed {
    std::string table;
};

/// What compile_domain may look at beyond the table it compiles for.
struct domain_scope {
    /// Another table's schema, or nullptr when it is not loaded yet (compile_domain then throws
    /// schema_needed). Empty: field paths, many2many fields and child_of/parent_of are refused.
    std::function<table_schema const*(std::string const& table)> schema_of;
    /// A condition added to every sub-search on another table (a field path): the caller's
    /// record rules there. Returns "" for none; appends its parameters to `out`; may throw.
    std::function<std::string(table_schema const& table, sql_fragment& out)> restrict;
};

/// Compiles an Odoo domain (JSON array in Polish notation) into a WHERE condition on `schema`'s
/// table, appending its parameters to `out` (so placeholders continue from out.params.size()+1)
/// and returning the condition text ("TRUE" for an empty domain). Columns are written qualified
/// as "<table>"."<column>". `out.sql` is not touched.
///
/// Beyond plain columns: child_of / parent_of (through parent_path, else parent_id), many2one
/// field paths ("partner_id.commercial_partner_id") and many2many fields, as sub-selects on the
/// tables `scope` knows.
///
/// Errors: orm::bad_argument ("domain: ...") for any malformed domain, unknown field, unsupported
/// operator or ill-typed value; schema_needed (see above); whatever scope.restrict throws.
/// `out.params` is then left as it was.
std::string compile_domain(boost::json::value const& domain, table_schema const& schema, sql_fragment& out,
                           domain_scope const& scope = {});

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
