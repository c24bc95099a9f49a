// Odoo record rules' domain_force: a Python expression evaluated with `user`, `company_ids`
// and `company_id` in scope. This is the subset real rules use, parsed without Python:
//   [('company_id', 'in', company_ids)]
//   ['|', ('user_id', '=', user.id), ('user_id', '=', False)]
//   [('message_partner_ids', 'child_of', [user.commercial_partner_id.id])]
//   [('company_id', 'in', company_ids + [False])]
// Literals (strings, integers, floats, True, False, None), lists and tuples, `+` on lists and
// numbers, unary minus, and dotted names. Anything else is refused, never guessed (pure, no I/O).
#pragma once

#include <boost/json/value.hpp>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lp::orm {

/// A rule text this evaluator does not understand (syntax outside the subset, an unknown
/// name or attribute). The access layer turns it into a denial.
struct rule_expression_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// One parsed rule expression.
class rule_expression {
public:
    /// Parses `text`. Errors: rule_expression_error naming what is outside the subset.
    static rule_expression parse(std::string_view text);

    /// Every `user....` attribute chain the expression reads, e.g. {"partner_id", "id"} for
    /// user.partner_id.id, each once: the caller resolves them before evaluate().
    std::vector<std::vector<std::string>> user_paths() const;

    /// The value of the expression (a domain, for a rule), as JSON: tuples become arrays, None
    /// null. `user_values` maps each of user_paths() joined with '.' ("partner_id.id") to its
    /// value; company_ids is a list of ids and company_id an id (or false).
    /// Errors: rule_expression_error (an unknown name, a path left unresolved, `+` on mixed types).
    boost::json::value evaluate(std::map<std::string, boost::json::value> const& user_values,
                                boost::json::value const& company_ids, boost::json::value const& company_id) const;

    struct node;

private:
    std::shared_ptr<node const> root_;
};

} // namespace lp::orm
