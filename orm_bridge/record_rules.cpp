#include "orm_bridge/record_rules.hpp"

#include "orm_bridge/errors.hpp"

namespace lp::orm {

namespace {

/// One rule's condition; FALSE when it cannot be used.
std::string rule_condition(evaluated_rule const& rule, table_schema const& schema, sql_fragment& out,
                           domain_scope const& scope,
                           std::function<void(evaluated_rule const&, std::string const&)> const& unusable)
{
    if (!rule.domain)
        return "FALSE"; // reported when it was evaluated
    try {
        return "(" + compile_domain(*rule.domain, schema, out, scope) + ")";
    }
    catch (bad_argument const& e) {
        unusable(rule, e.what());
        return "FALSE";
    }
}

} // namespace

std::string combine_rules(applicable_rules const& rules, table_schema const& schema, sql_fragment& out,
                          domain_scope const& scope,
                          std::function<void(evaluated_rule const&, std::string const&)> const& unusable)
{
    std::string sql;
    for (auto const& rule : rules.global)
        sql += (sql.empty() ? "" : " AND ") + rule_condition(rule, schema, out, scope, unusable);
    if (!rules.group.empty()) {
        std::string any;
        for (auto const& rule : rules.group)
            any += (any.empty() ? "" : " OR ") + rule_condition(rule, schema, out, scope, unusable);
        sql += (sql.empty() ? "(" : " AND (") + any + ")";
    }
    return sql.empty() ? sql : "(" + sql + ")";
}

} // namespace lp::orm
