#include "orm_bridge/domain.hpp"

#include "orm_bridge/errors.hpp"

#include <boost/json/serialize.hpp>

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lp::orm {
namespace {

namespace json = boost::json;

// Bounds on what a client may ask for: the compiler is linear, but PostgreSQL's protocol caps a
// statement at 65535 parameters and huge IN lists are better refused than slowly planned.
constexpr std::size_t max_terms = 1000;
constexpr std::size_t max_list_values = 10000;
constexpr std::size_t max_domain_values = 30000;
constexpr std::size_t max_order_items = 20;
constexpr std::size_t max_path_segments = 6;

[[noreturn]] void domain_error(std::string const& what)
{
    throw bad_argument("domain: " + what);
}

[[noreturn]] void order_error(std::string const& what)
{
    throw bad_argument("order: " + what);
}

/// Client text for an error message: single-quoted and cut to 64 bytes on a UTF-8 boundary, so a
/// hostile field name cannot blow up the reply.
std::string quoted(std::string_view s)
{
    constexpr std::size_t max = 64;
    if (s.size() <= max)
        return "'" + std::string(s) + "'";
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80)
        --n;
    return "'" + std::string(s.substr(0, n)) + "...'";
}

std::string ascii_lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool is_integer(json::value const& v, std::int64_t n)
{
    return (v.is_int64() && v.get_int64() == n) || (v.is_uint64() && n >= 0 && v.get_uint64() == static_cast<std::uint64_t>(n));
}

// ---------------------------------------------------------------------------------------------
// Operators

enum class op_code {
    eq, ne, lt, le, gt, ge, in, not_in, like, ilike, not_like, not_ilike, eq_like, eq_ilike, eq_opt, child_of, parent_of
};

struct op_name {
    std::string_view text;
    op_code code;
};

constexpr op_name known_operators[] = {
    {"=", op_code::eq},           {"!=", op_code::ne},         {"<>", op_code::ne},
    {"<", op_code::lt},           {"<=", op_code::le},         {">", op_code::gt},
    {">=", op_code::ge},          {"in", op_code::in},         {"not in", op_code::not_in},
    {"like", op_code::like},      {"ilike", op_code::ilike},   {"not like", op_code::not_like},
    {"not ilike", op_code::not_ilike}, {"=like", op_code::eq_like}, {"=ilike", op_code::eq_ilike},
    {"=?", op_code::eq_opt},      {"child_of", op_code::child_of}, {"parent_of", op_code::parent_of},
};

// Real Odoo operators this bridge does not implement.
constexpr std::string_view unsupported_operators[] = {"any", "not any"};

std::string_view text_of(op_code code)
{
    for (auto const& known : known_operators)
        if (known.code == code)
            return known.text;
    return "=";
}

/// Odoo's leaf negation (TERM_OPERATORS_NEGATION): "!" is pushed into the leaf when an inverse
/// operator exists, so ['!', (f, '=', x)] keeps the rows where f is NULL, as in Odoo.
std::optional<op_code> negation_of(op_code code)
{
    switch (code) {
    case op_code::eq: return op_code::ne;
    case op_code::ne: return op_code::eq;
    case op_code::lt: return op_code::ge;
    case op_code::ge: return op_code::lt;
    case op_code::gt: return op_code::le;
    case op_code::le: return op_code::gt;
    case op_code::in: return op_code::not_in;
    case op_code::not_in: return op_code::in;
    case op_code::like: return op_code::not_like;
    case op_code::not_like: return op_code::like;
    case op_code::ilike: return op_code::not_ilike;
    case op_code::not_ilike: return op_code::ilike;
    default: return std::nullopt;
    }
}

char const* comparison_sql(op_code code)
{
    switch (code) {
    case op_code::lt: return "<";
    case op_code::le: return "<=";
    case op_code::gt: return ">";
    default: return ">=";
    }
}

// ---------------------------------------------------------------------------------------------
// Terms

enum class term_kind { and_op, or_op, not_op, leaf };

struct leaf_term {
    column_info const* column = nullptr; ///< null for the constant leaves, paths and x2many fields
    x2many_info const* link = nullptr;   ///< a many2many field (or the followers)
    std::string_view path;               ///< "partner_id.commercial_partner_id": a field path
    bool constant = false;               ///< the constant leaf's value
    op_code code = op_code::eq;
    std::string op_text;                 ///< the operator as the client wrote it (lowercased), for messages
    json::value const* value = nullptr;
};

struct term {
    term_kind kind;
    leaf_term leaf;   ///< when kind == leaf
    bool wrap_not = false; ///< after negation pushdown: a leaf without inverse, to wrap in NOT
};

leaf_term parse_leaf(json::array const& a, std::size_t index, table_schema const& schema)
{
    if (a.size() != 3)
        domain_error("leaf at index " + std::to_string(index) + " has " + std::to_string(a.size()) +
                     " items; expected [field, operator, value]");
    leaf_term leaf;
    leaf.value = &a[2];
    auto const* op = a[1].if_string();
    // Odoo's TRUE_LEAF and FALSE_LEAF.
    if (op && *op == "=" && is_integer(a[2], 1) && (is_integer(a[0], 1) || is_integer(a[0], 0))) {
        leaf.constant = is_integer(a[0], 1);
        return leaf;
    }
    auto const* field = a[0].if_string();
    if (!field)
        domain_error("leaf at index " + std::to_string(index) + ": the field must be a string");
    leaf.column = schema.find(*field);
    if (!leaf.column) {
        auto const dot = field->find('.');
        auto const head = std::string_view(*field).substr(0, dot);
        if (dot != json::string::npos && (schema.find(head) || schema.find_x2many(head)))
            leaf.path = *field;
        else if ((leaf.link = schema.find_x2many(*field)) == nullptr)
            domain_error("unknown field " + quoted(*field) + " on " + schema.model);
    }
    if (!op)
        domain_error("operator for field " + quoted(*field) + " must be a string");
    leaf.op_text = ascii_lower(*op);
    for (auto const& known : known_operators)
        if (known.text == leaf.op_text) {
            leaf.code = known.code;
            return leaf;
        }
    for (auto const unsupported : unsupported_operators)
        if (unsupported == leaf.op_text)
            domain_error("unsupported operator " + quoted(*op));
    domain_error("unknown operator " + quoted(*op));
}

std::vector<term> parse_terms(json::array const& domain, table_schema const& schema)
{
    std::vector<term> terms;
    terms.reserve(domain.size());
    for (std::size_t i = 0; i < domain.size(); ++i) {
        auto const& t = domain[i];
        if (auto const* s = t.if_string()) {
            if (*s == "&")
                terms.push_back({term_kind::and_op, {}});
            else if (*s == "|")
                terms.push_back({term_kind::or_op, {}});
            else if (*s == "!")
                terms.push_back({term_kind::not_op, {}});
            else
                domain_error("unknown term " + quoted(*s) + " at index " + std::to_string(i) +
                             "; expected '&', '|', '!' or a [field, operator, value] leaf");
        }
        else if (auto const* a = t.if_array()) {
            terms.push_back({term_kind::leaf, parse_leaf(*a, i, schema)});
        }
        else {
            domain_error("term at index " + std::to_string(i) +
                         " is not '&', '|', '!' or a [field, operator, value] leaf");
        }
    }
    return terms;
}

/// Checks that every operator has its operands, scanning backwards as Polish notation is
/// evaluated, so the message can name the operator that falls short.
void check_arity(std::vector<term> const& terms)
{
    std::size_t available = 0;
    for (std::size_t i = terms.size(); i-- > 0;) {
        auto const kind = terms[i].kind;
        if (kind == term_kind::leaf) {
            ++available;
            continue;
        }
        std::size_t const needed = kind == term_kind::not_op ? 1 : 2;
        if (available < needed)
            domain_error(std::string("operator '") + (kind == term_kind::and_op ? "&" : kind == term_kind::or_op ? "|" : "!") +
                         "' at index " + std::to_string(i) + " needs " + std::to_string(needed) +
                         (needed == 1 ? " operand" : " operands") + ", found " + std::to_string(available));
        available -= needed - 1;
    }
}

/// Odoo's distribute_not: removes every "!" by De Morgan and leaf inversion. Leaves whose
/// operator has no inverse (=like, =ilike, =?) are marked to be wrapped in NOT instead.
/// Iterative, so a deep domain cannot exhaust the stack.
std::vector<term> distribute_not(std::vector<term> const& terms)
{
    std::vector<term> result;
    result.reserve(terms.size());
    std::vector<bool> negate; // one entry per operand still expected
    for (auto const& t : terms) {
        if (negate.empty())
            negate.push_back(false); // a new top-level expression (implicitly AND-ed)
        bool const neg = negate.back();
        negate.pop_back();
        switch (t.kind) {
        case term_kind::not_op:
            negate.push_back(!neg);
            break;
        case term_kind::and_op:
        case term_kind::or_op: {
            bool const is_and = (t.kind == term_kind::and_op) != neg;
            result.push_back({is_and ? term_kind::and_op : term_kind::or_op, {}});
            negate.push_back(neg);
            negate.push_back(neg);
            break;
        }
        case term_kind::leaf: {
            term out = t;
            if (neg) {
                if (!out.leaf.column && !out.leaf.link && out.leaf.path.empty())
                    out.leaf.constant = !out.leaf.constant;
                else if (auto const inverse = negation_of(out.leaf.code))
                    out.leaf.code = *inverse;
                else
                    out.wrap_not = true;
            }
            result.push_back(std::move(out));
            break;
        }
        }
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// Values

enum class value_kind { integer, floating, boolean, text, text_or_number };

value_kind kind_of(column_info const& c)
{
    auto const& t = c.pg_type;
    if (c.many2one_table || t == "int2" || t == "int4" || t == "int8")
        return value_kind::integer;
    if (t == "float4" || t == "float8" || t == "numeric")
        return value_kind::floating;
    if (t == "bool")
        return value_kind::boolean;
    if (t == "varchar" || t == "text" || t == "bpchar" || t == "date" || t == "timestamp" ||
        t == "timestamptz" || t == "jsonb" || t == "json")
        return value_kind::text;
    return value_kind::text_or_number;
}

std::string double_text(double d)
{
    if (!std::isfinite(d))
        domain_error("numbers must be finite");
    char buf[64];
    // Shortest text that reads back as the same double: full precision, no noise digits.
    auto const [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    (void)ec; // 64 bytes always suffice for a double
    return std::string(buf, end);
}

std::string checked_string(json::string const& s)
{
    // libpq passes parameters as C strings: a NUL would silently cut the value short.
    if (s.find('\0') != json::string::npos)
        domain_error("strings may not contain NUL characters");
    return std::string(s);
}

/// The text of a number, or nullopt when `v` is not one.
std::optional<std::string> number_text(json::value const& v)
{
    if (v.is_int64())
        return std::to_string(v.get_int64());
    if (v.is_uint64())
        return std::to_string(v.get_uint64());
    if (v.is_double())
        return double_text(v.get_double());
    return std::nullopt;
}

std::string integer_text(column_info const& c, json::value const& v)
{
    std::int64_t lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
    if (c.pg_type == "int2")
        lo = std::numeric_limits<std::int16_t>::min(), hi = std::numeric_limits<std::int16_t>::max();
    else if (c.pg_type == "int4")
        lo = std::numeric_limits<std::int32_t>::min(), hi = std::numeric_limits<std::int32_t>::max();
    // An out-of-range parameter would fail inside PostgreSQL as a server error; refuse it here.
    bool in_range = false;
    if (v.is_int64())
        in_range = v.get_int64() >= lo && v.get_int64() <= hi;
    else if (v.is_uint64())
        in_range = v.get_uint64() <= static_cast<std::uint64_t>(hi);
    else
        domain_error("field " + quoted(c.name) + " expects an integer");
    if (!in_range)
        domain_error("value " + *number_text(v) + " is out of range for field " + quoted(c.name) + " (" + c.pg_type + ")");
    return *number_text(v);
}

/// The parameter text of a non-null value for column `c`, type-checked by the column's type.
std::string value_text(column_info const& c, json::value const& v)
{
    switch (kind_of(c)) {
    case value_kind::integer:
        return integer_text(c, v);
    case value_kind::floating:
        if (auto n = number_text(v))
            return *n;
        domain_error("field " + quoted(c.name) + " expects a number");
    case value_kind::boolean:
        if (v.is_bool())
            return v.get_bool() ? "true" : "false";
        domain_error("field " + quoted(c.name) + " expects a boolean");
    case value_kind::text:
        if (v.is_string())
            return checked_string(v.get_string());
        domain_error("field " + quoted(c.name) + " expects a string");
    case value_kind::text_or_number:
        if (v.is_string())
            return checked_string(v.get_string());
        if (auto n = number_text(v))
            return *n;
        domain_error("field " + quoted(c.name) + " expects a string or a number");
    }
    domain_error("field " + quoted(c.name) + " has an unusable type"); // unreachable
}

/// Odoo's "not set": False or None.
bool is_unset(json::value const& v)
{
    return v.is_null() || (v.is_bool() && !v.get_bool());
}

// ---------------------------------------------------------------------------------------------
// Leaves

struct condition {
    std::string sql;
    bool parenthesized = false; ///< already wrapped in its own parentheses
};

condition compile_in(leaf_term const& leaf, std::string const& col, sql_fragment& out)
{
    auto const& c = *leaf.column;
    bool const bool_column = kind_of(c) == value_kind::boolean;
    // A scalar is taken as a one-element list, as Odoo does.
    json::value const* const single = leaf.value;
    json::value const* first = single;
    std::size_t count = 1;
    if (auto const* list = leaf.value->if_array()) {
        first = list->data();
        count = list->size();
    }
    if (count > max_list_values)
        domain_error("list for field " + quoted(c.name) + " has " + std::to_string(count) + " values (at most " +
                     std::to_string(max_list_values) + ")");
    bool has_null = false;
    std::string placeholders;
    for (std::size_t i = 0; i < count; ++i) {
        auto const& v = first[i];
        if (is_unset(v)) {
            has_null = true;
            // On a boolean column False is also a value (Odoo binds it and adds IS NULL).
            if (!(bool_column && v.is_bool()))
                continue;
        }
        if (!placeholders.empty())
            placeholders += ", ";
        placeholders += out.bind(value_text(c, v));
    }
    if (leaf.code == op_code::in) {
        if (placeholders.empty())
            return {has_null ? col + " IS NULL" : "FALSE"};
        std::string sql = col + " IN (" + placeholders + ")";
        return has_null ? condition{"(" + sql + " OR " + col + " IS NULL)", true} : condition{sql};
    }
    if (placeholders.empty())
        return {has_null ? col + " IS NOT NULL" : "TRUE"};
    std::string sql = col + " NOT IN (" + placeholders + ")";
    // NOT IN never matches NULL; Odoo keeps NULL rows unless the list itself excludes them.
    if (has_null)
        return {"(" + sql + " AND " + col + " IS NOT NULL)", true};
    return {"(" + sql + " OR " + col + " IS NULL)", true};
}

condition compile_like(leaf_term const& leaf, std::string const& col, sql_fragment& out)
{
    auto const& c = *leaf.column;
    auto const& v = *leaf.value;
    std::string text;
    if (v.is_string() && !c.many2one_table)
        text = checked_string(v.get_string());
    else if (auto n = number_text(v))
        text = *n;
    else if (v.is_string())
        domain_error("field " + quoted(c.name) + " expects an integer (searching a many2one by name is not supported)");
    else
        domain_error("operator " + quoted(leaf.op_text) + " on field " + quoted(c.name) + " expects a string");

    bool const exact = leaf.code == op_code::eq_like || leaf.code == op_code::eq_ilike;
    bool const negative = leaf.code == op_code::not_like || leaf.code == op_code::not_ilike;
    bool const insensitive = leaf.code == op_code::ilike || leaf.code == op_code::not_ilike || leaf.code == op_code::eq_ilike;
    bool const empty = text.empty();
    std::string const sql = col + "::text " + (negative ? "NOT " : "") + (insensitive ? "ILIKE " : "LIKE ") +
                            out.bind(exact ? std::move(text) : "%" + text + "%");
    if (exact)
        return {sql};
    // As Odoo: "like ''" matches every row, NULL included, and "not like" is its exact complement
    // (NULL rows are kept unless the pattern is empty).
    if (empty != negative)
        return {"(" + sql + " OR " + col + " IS NULL)", true};
    return {sql};
}


// ---------------------------------------------------------------------------------------------
// Hierarchies, field paths and many2many fields: sub-selects on other tables

condition compile_leaf(leaf_term const& leaf, table_schema const& schema, sql_fragment& out,
                       domain_scope const& scope);

/// The schema of another table, through the scope (which may ask its caller to load it first).
table_schema const& related_schema(std::string const& table, domain_scope const& scope)
{
    if (!scope.schema_of)
        domain_error("field paths, many2many fields and hierarchy operators need the model graph");
    auto const* found = scope.schema_of(table);
    if (!found)
        throw schema_needed{table};
    return *found;
}

/// The ids of a child_of / parent_of operand (an id or a list of ids) as a bound int8[]; nullopt
/// when there are none (Odoo's FALSE_LEAF).
std::optional<std::string> id_array_param(leaf_term const& leaf, sql_fragment& out)
{
    std::vector<json::value const*> values;
    if (auto const* list = leaf.value->if_array()) {
        if (list->size() > max_list_values)
            domain_error("operator " + quoted(leaf.op_text) + " takes at most " + std::to_string(max_list_values) + " ids");
        for (auto const& v : *list)
            values.push_back(&v);
    }
    else {
        values.push_back(leaf.value);
    }
    std::string ids;
    for (auto const* v : values) {
        if (is_unset(*v))
            continue;
        if (!v->is_int64() && !v->is_uint64())
            domain_error("operator " + quoted(leaf.op_text) + " expects record ids, got " + json::serialize(*v));
        ids += (ids.empty() ? "" : ",") + *number_text(*v);
    }
    if (ids.empty())
        return std::nullopt;
    return out.bind("{" + ids + "}") + "::int8[]";
}

/// Odoo's child_of / parent_of: the records under (or above) the given ones, themselves included,
/// through parent_path when the model stores it, else by walking parent_id.
condition compile_hierarchy(leaf_term const& leaf, table_schema const& schema, std::string const& col,
                            sql_fragment& out, domain_scope const& scope)
{
    auto const& c = *leaf.column;
    if (c.name != "id" && !c.many2one_table)
        domain_error("operator " + quoted(leaf.op_text) + " needs a many2one field or 'id', not " + quoted(c.name));
    auto const ids = id_array_param(leaf, out);
    if (!ids)
        return {"FALSE"};
    table_schema const* tree = c.name == "id" ? &schema : &related_schema(*c.many2one_table, scope);
    auto const t = quote_identifier(tree->table);
    bool const children = leaf.code == op_code::child_of;
    std::string select;
    if (tree->find("parent_path")) {
        // The prefixes are computed once (an InitPlan), not joined row by row.
        if (children)
            select = "SELECT \"lp_h\".\"id\" FROM " + t + " \"lp_h\" WHERE \"lp_h\".\"parent_path\" LIKE ANY (ARRAY("
                     "SELECT \"lp_r\".\"parent_path\" || '%' FROM " + t + " \"lp_r\" WHERE \"lp_r\".\"id\" = ANY(" + *ids + ")))";
        else
            select = "SELECT \"lp_a\".\"id\"::int8 FROM " + t + " \"lp_h\", unnest(string_to_array(rtrim(\"lp_h\".\"parent_path\", "
                     "'/'), '/')) AS \"lp_a\"(\"id\") WHERE \"lp_h\".\"id\" = ANY(" + *ids + ")";
    }
    else if (auto const* parent = tree->find("parent_id"); parent && parent->many2one_table == tree->table) {
        if (children)
            select = "WITH RECURSIVE \"lp_h\"(\"id\") AS (SELECT \"id\" FROM " + t + " WHERE \"id\" = ANY(" + *ids + ") UNION "
                     "SELECT \"lp_c\".\"id\" FROM " + t + " \"lp_c\" JOIN \"lp_h\" ON \"lp_c\".\"parent_id\" = \"lp_h\".\"id\") "
                     "SELECT \"id\" FROM \"lp_h\"";
        else
            select = "WITH RECURSIVE \"lp_h\"(\"id\", \"up\") AS (SELECT \"id\", \"parent_id\" FROM " + t + " WHERE \"id\" = ANY(" +
                     *ids + ") UNION SELECT \"lp_c\".\"id\", \"lp_c\".\"parent_id\" FROM " + t + " \"lp_c\" JOIN \"lp_h\" ON "
                     "\"lp_c\".\"id\" = \"lp_h\".\"up\") SELECT \"id\" FROM \"lp_h\"";
    }
    else {
        domain_error("operator " + quoted(leaf.op_text) + ": " + tree->table + " has no parent_path or parent_id");
    }
    return {col + " IN (" + select + ")"};
}

/// The other table's condition for a sub-search: the domain, and what the scope restricts there
/// (the caller's record rules on that model, for a client's domain).
std::string sub_search(json::value const& domain, table_schema const& target, sql_fragment& out,
                       domain_scope const& scope)
{
    auto const t = quote_identifier(target.table);
    auto where = compile_domain(domain, target, out, scope);
    if (scope.restrict)
        if (auto rules = scope.restrict(target, out); !rules.empty())
            where = "(" + where + ") AND " + rules;
    return "SELECT " + t + ".\"id\" FROM " + t + " WHERE " + where;
}

/// The one-leaf domain [rest, operator, value] for the next table of a path.
json::value rest_of_path(leaf_term const& leaf, std::string_view rest)
{
    return json::array{json::array{json::string(rest), json::string(text_of(leaf.code)), *leaf.value}};
}

/// Odoo's many2one path ('partner_id.commercial_partner_id', op, v): partner_id IN (SELECT id
/// FROM res_partner WHERE commercial_partner_id op v), without the active filter, as Odoo does.
condition compile_path(leaf_term const& leaf, table_schema const& schema, sql_fragment& out, domain_scope const& scope)
{
    auto const dot = leaf.path.find('.');
    auto const head = leaf.path.substr(0, dot);
    auto const rest = leaf.path.substr(dot + 1);
    if (std::count(leaf.path.begin(), leaf.path.end(), '.') >= static_cast<long>(max_path_segments))
        domain_error("field path " + quoted(leaf.path) + " is too long");
    auto const sub = rest_of_path(leaf, rest);
    if (auto const* c = schema.find(head)) {
        if (!c->many2one_table)
            domain_error("field path " + quoted(leaf.path) + ": " + quoted(head) + " is not a many2one");
        auto const& target = related_schema(*c->many2one_table, scope);
        return {quote_identifier(schema.table) + "." + quote_identifier(head) + " IN (" + sub_search(sub, target, out, scope) + ")"};
    }
    auto const& link = *schema.find_x2many(head);
    auto const& target = related_schema(link.target_table, scope);
    auto const l = quote_identifier(link.link_table);
    std::string owners = "SELECT " + l + "." + quote_identifier(link.owner_column) + " FROM " + l + " WHERE ";
    if (link.link_model)
        owners += l + ".\"res_model\" = " + out.bind(*link.link_model) + " AND ";
    owners += l + "." + quote_identifier(link.target_column) + " IN (" + sub_search(sub, target, out, scope) + ")";
    return {quote_identifier(schema.table) + ".\"id\" IN (" + owners + ")"};
}

/// A many2many field: the records linked to a matching target ('in', '=', child_of,
/// parent_of), or not ('not in', '!='); with False alone, the records linked to nothing.
condition compile_x2many(leaf_term const& leaf, table_schema const& schema, sql_fragment& out, domain_scope const& scope)
{
    auto const& link = *leaf.link;
    bool const negative = leaf.code == op_code::ne || leaf.code == op_code::not_in;
    auto const positive = negative ? *negation_of(leaf.code) : leaf.code;
    if (positive != op_code::eq && positive != op_code::in && positive != op_code::child_of && positive != op_code::parent_of)
        domain_error("operator " + quoted(leaf.op_text) + " is not supported on the many2many field " + quoted(link.name));
    auto const l = quote_identifier(link.link_table);
    auto const owner = l + "." + quote_identifier(link.owner_column);
    std::string owners = "SELECT " + owner + " FROM " + l + " WHERE " + owner + " IS NOT NULL";
    if (link.link_model)
        owners += " AND " + l + ".\"res_model\" = " + out.bind(*link.link_model);

    bool nothing_but_unset = true;
    if (auto const* list = leaf.value->if_array()) {
        for (auto const& v : *list)
            nothing_but_unset = nothing_but_unset && is_unset(v);
    }
    else {
        nothing_but_unset = is_unset(*leaf.value);
    }
    auto const id = quote_identifier(schema.table) + ".\"id\"";
    if (nothing_but_unset && (positive == op_code::eq || positive == op_code::in))
        return {id + (negative ? " IN (" : " NOT IN (") + owners + ")"};

    // The target side, compiled as a many2one column of the link table.
    table_schema link_schema{"", link.link_table, {column_info{link.target_column, "int4", link.target_table}}, {}};
    leaf_term target = leaf;
    target.link = nullptr;
    target.column = &link_schema.columns.front();
    target.code = positive;
    auto const match = compile_leaf(target, link_schema, out, scope);
    return {id + (negative ? " NOT IN (" : " IN (") + owners + " AND " + match.sql + ")"};
}

condition compile_leaf(leaf_term const& leaf, table_schema const& schema, sql_fragment& out,
                       domain_scope const& scope)
{
    if (!leaf.path.empty())
        return compile_path(leaf, schema, out, scope);
    if (leaf.link)
        return compile_x2many(leaf, schema, out, scope);
    if (!leaf.column)
        return {leaf.constant ? "TRUE" : "FALSE"};
    auto const& c = *leaf.column;
    auto const& v = *leaf.value;
    std::string const col = quote_identifier(schema.table) + "." + quote_identifier(c.name);
    bool const bool_column = kind_of(c) == value_kind::boolean;

    switch (leaf.code) {
    case op_code::child_of:
    case op_code::parent_of:
        return compile_hierarchy(leaf, schema, col, out, scope);
    case op_code::in:
    case op_code::not_in:
        return compile_in(leaf, col, out);
    case op_code::like:
    case op_code::ilike:
    case op_code::not_like:
    case op_code::not_ilike:
    case op_code::eq_like:
    case op_code::eq_ilike:
        return compile_like(leaf, col, out);
    default:
        break;
    }

    if (v.is_array())
        domain_error("operator " + quoted(leaf.op_text) + " on field " + quoted(c.name) +
                     " does not take a list (use 'in' or 'not in')");
    switch (leaf.code) {
    case op_code::eq_opt:
        if (is_unset(v))
            return {"TRUE"};
        return {col + " = " + out.bind(value_text(c, v))};
    case op_code::eq:
        if (is_unset(v))
            return bool_column ? condition{"(" + col + " IS NULL OR " + col + " = false)", true} : condition{col + " IS NULL"};
        return {col + " = " + out.bind(value_text(c, v))};
    case op_code::ne:
        if (is_unset(v))
            return bool_column ? condition{"(" + col + " IS NOT NULL AND " + col + " != false)", true}
                               : condition{col + " IS NOT NULL"};
        // Odoo's "!=" keeps the rows where the column is not set.
        return {"(" + col + " != " + out.bind(value_text(c, v)) + " OR " + col + " IS NULL)", true};
    default: // <, <=, >, >=
        if (v.is_null() || (!bool_column && is_unset(v)))
            domain_error("operator " + quoted(leaf.op_text) + " on field " + quoted(c.name) +
                         " needs a value, not false or null");
        return {col + " " + comparison_sql(leaf.code) + " " + out.bind(value_text(c, v))};
    }
}

std::string compile_terms(std::vector<term> const& terms, table_schema const& schema, sql_fragment& out,
                          std::size_t first_param, domain_scope const& scope)
{
    // Leaves first, in domain order, so placeholders are numbered as the client reads the domain.
    std::vector<condition> leaves(terms.size());
    for (std::size_t i = 0; i < terms.size(); ++i) {
        if (terms[i].kind != term_kind::leaf)
            continue;
        leaves[i] = compile_leaf(terms[i].leaf, schema, out, scope);
        if (terms[i].wrap_not)
            leaves[i] = {"(NOT " + (leaves[i].parenthesized ? leaves[i].sql : "(" + leaves[i].sql + ")") + ")", true};
        if (out.params.size() - first_param > max_domain_values)
            domain_error("too many values (at most " + std::to_string(max_domain_values) + ")");
    }
    // Then the operators, evaluated backwards as Polish notation is.
    std::vector<condition> stack;
    for (std::size_t i = terms.size(); i-- > 0;) {
        if (terms[i].kind == term_kind::leaf) {
            stack.push_back(std::move(leaves[i]));
            continue;
        }
        condition left = std::move(stack.back());
        stack.pop_back();
        condition right = std::move(stack.back());
        stack.pop_back();
        char const* const glue = terms[i].kind == term_kind::and_op ? " AND " : " OR ";
        stack.push_back({"(" + left.sql + glue + right.sql + ")", true});
    }
    // What is left are the top-level expressions, first one on top: AND them.
    if (stack.size() == 1)
        return std::move(stack.back().sql);
    std::string sql = "(";
    for (std::size_t i = stack.size(); i-- > 0;) {
        sql += stack[i].sql;
        if (i > 0)
            sql += " AND ";
    }
    return sql + ")";
}

// ---------------------------------------------------------------------------------------------
// Order

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::vector<std::string_view> split_words(std::string_view s)
{
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && is_space(s[i]))
            ++i;
        std::size_t const start = i;
        while (i < s.size() && !is_space(s[i]))
            ++i;
        if (i > start)
            words.push_back(s.substr(start, i - start));
    }
    return words;
}

std::string_view trimmed(std::string_view s)
{
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

} // namespace

std::string compile_domain(json::value const& domain, table_schema const& schema, sql_fragment& out,
                           domain_scope const& scope)
{
    auto const* list = domain.if_array();
    if (!list)
        domain_error("must be a JSON array of terms");
    if (list->size() > max_terms)
        domain_error("too many terms (" + std::to_string(list->size()) + ", at most " + std::to_string(max_terms) + ")");
    if (list->empty())
        return "TRUE";
    auto const terms = parse_terms(*list, schema);
    check_arity(terms);
    auto const first_param = out.params.size();
    try {
        return compile_terms(distribute_not(terms), schema, out, first_param, scope);
    }
    catch (...) {
        // Leave `out` as it was: the caller may report the error and reuse the fragment.
        out.params.erase(out.params.begin() + static_cast<std::ptrdiff_t>(first_param), out.params.end());
        throw;
    }
}

std::string compile_order(std::string_view order, table_schema const& schema)
{
    if (trimmed(order).empty())
        return schema.find("id") ? quote_identifier(schema.table) + ".\"id\" ASC" : std::string("TRUE");
    std::size_t items = 1;
    for (char c : order)
        items += c == ',';
    if (items > max_order_items)
        order_error("too many items (" + std::to_string(items) + ", at most " + std::to_string(max_order_items) + ")");

    std::string sql;
    std::size_t start = 0;
    while (start <= order.size()) {
        std::size_t end = order.find(',', start);
        if (end == std::string_view::npos)
            end = order.size();
        std::string_view const item = order.substr(start, end - start);
        start = end + 1;

        auto const words = split_words(item);
        if (words.empty())
            order_error("empty item in " + quoted(order));
        auto const* column = schema.find(words[0]);
        if (!column) {
            if (words[0].find('.') != std::string_view::npos)
                order_error("field paths such as " + quoted(words[0]) + " are not supported");
            order_error("unknown field " + quoted(words[0]) + " on " + schema.model);
        }
        std::string direction = "ASC";
        std::string nulls;
        std::size_t i = 1;
        if (i < words.size()) {
            auto const word = ascii_lower(words[i]);
            if (word == "asc" || word == "desc") {
                direction = word == "asc" ? "ASC" : "DESC";
                ++i;
            }
        }
        if (i + 1 < words.size() && ascii_lower(words[i]) == "nulls") {
            auto const which = ascii_lower(words[i + 1]);
            if (which == "first" || which == "last") {
                nulls = which == "first" ? " NULLS FIRST" : " NULLS LAST";
                i += 2;
            }
        }
        if (i != words.size())
            order_error("invalid item " + quoted(trimmed(item)) + "; expected 'field [asc|desc] [nulls first|nulls last]'");

        if (!sql.empty())
            sql += ", ";
        sql += quote_identifier(schema.table) + "." + quote_identifier(column->name) + " " + direction + nulls;
    }
    return sql;
}

bool domain_mentions(json::value const& domain, std::string_view field) noexcept
{
    auto const* list = domain.if_array();
    if (!list)
        return false;
    for (auto const& t : *list)
        if (auto const* leaf = t.if_array(); leaf && leaf->size() == 3)
            if (auto const* name = (*leaf)[0].if_string(); name && *name == field)
                return true;
    return false;
}

} // namespace lp::orm
