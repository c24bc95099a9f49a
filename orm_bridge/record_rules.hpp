// Odoo's way of combining record rules (ir.rule._compute_domain) into one SQL condition:
// every global rule applies (AND); the rules of the user's groups are OR-ed together, then
// AND-ed with the globals. Pure: the rules come evaluated, the SQL goes to a fragment.
#pragma once

#include "orm_bridge/domain.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lp::orm {

/// One rule, its domain evaluated for one user (nullopt: the evaluator did not understand it).
struct evaluated_rule {
    std::int64_t id = 0;
    std::string text;                        ///< domain_force as stored, for the log
    std::optional<boost::json::value> domain;
};

/// The read rules that apply to one user on one model: rules of other groups are left out.
struct applicable_rules {
    std::vector<evaluated_rule> global;
    std::vector<evaluated_rule> group;
};

/// The combined condition on `schema`'s table, its parameters appended to `out`; "" when no rule
/// applies. A rule that is not understood, or whose domain does not compile, counts as FALSE
/// (it grants nothing: fail closed) and is reported through `unusable` with the reason.
///
/// Errors: schema_needed (from compile_domain, when `scope` lacks a related table).
std::string combine_rules(applicable_rules const& rules, table_schema const& schema, sql_fragment& out,
                          domain_scope const& scope,
                          std::function<void(evaluated_rule const&, std::string const& reason)> const& unusable);

} // namespace lp::orm
