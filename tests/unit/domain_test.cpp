#include <boost/test/unit_test.hpp>

#include "orm_bridge/domain.hpp"
#include "orm_bridge/errors.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using lp::orm::column_info;
using lp::orm::sql_fragment;
using lp::orm::table_schema;

table_schema const& users()
{
    static table_schema const schema{
        "res.users",
        "res_users",
        {
            {"id", "int4", std::nullopt},
            {"login", "varchar", std::nullopt},
            {"active", "bool", std::nullopt},
            {"partner_id", "int4", "res_partner"},
            {"share", "bool", std::nullopt},
            {"create_date", "timestamp", std::nullopt},
            {"credit", "numeric", std::nullopt},
        },
    };
    return schema;
}

// Every other type class, for the type checks.
table_schema const& types()
{
    static table_schema const schema{
        "test.types",
        "test_types",
        {
            {"small", "int2", std::nullopt},
            {"big", "int8", std::nullopt},
            {"ratio", "float8", std::nullopt},
            {"code", "bpchar", std::nullopt},
            {"body", "text", std::nullopt},
            {"day", "date", std::nullopt},
            {"stamp", "timestamptz", std::nullopt},
            {"data", "jsonb", std::nullopt},
            {"uid", "uuid", std::nullopt},
        },
    };
    return schema;
}

std::string params_text(std::vector<std::optional<std::string>> const& params)
{
    std::string out;
    for (auto const& p : params) {
        if (!out.empty())
            out += ", ";
        out += p ? "'" + *p + "'" : "NULL";
    }
    return out;
}

struct compiled {
    std::string where;
    std::string params;
};

compiled compile(std::string_view domain, table_schema const& schema = users(), lp::orm::domain_scope const& scope = {})
{
    sql_fragment out;
    auto where = lp::orm::compile_domain(boost::json::parse(domain), schema, out, scope);
    return {where, params_text(out.params)};
}

// The model graph for field paths and hierarchies: partners store parent_path, companies only
// parent_id; users have a many2many to companies, tasks have followers.
table_schema const& partners()
{
    static table_schema const schema{
        "res.partner", "res_partner",
        {{"id", "int4", std::nullopt}, {"name", "varchar", std::nullopt}, {"parent_path", "varchar", std::nullopt},
         {"commercial_partner_id", "int4", "res_partner"}, {"company_id", "int4", "res_company"}}};
    return schema;
}

table_schema const& companies()
{
    static table_schema const schema{
        "res.company", "res_company", {{"id", "int4", std::nullopt}, {"parent_id", "int4", "res_company"}}};
    return schema;
}

table_schema const& users_with_companies()
{
    static table_schema const schema = [] {
        auto s = users();
        s.x2many.push_back({"company_ids", "res_company_users_rel", "user_id", "cid", "res_company", std::nullopt});
        return s;
    }();
    return schema;
}

table_schema const& tasks()
{
    static table_schema const schema{
        "project.task", "project_task", {{"id", "int4", std::nullopt}, {"partner_id", "int4", "res_partner"}},
        {{"message_partner_ids", "mail_followers", "res_id", "partner_id", "res_partner", "project.task"}}};
    return schema;
}

lp::orm::domain_scope graph()
{
    lp::orm::domain_scope scope;
    scope.schema_of = [](std::string const& table) -> table_schema const* {
        if (table == "res_partner")
            return &partners();
        if (table == "res_company")
            return &companies();
        return nullptr;
    };
    return scope;
}

std::string where_of(std::string_view domain, table_schema const& schema = users(),
                     lp::orm::domain_scope const& scope = {})
{
    return compile(domain, schema, scope).where;
}

std::string domain_error(std::string_view domain, table_schema const& schema = users(),
                         lp::orm::domain_scope const& scope = {})
{
    try {
        compile(domain, schema, scope);
    }
    catch (lp::orm::bad_argument const& e) {
        return e.what();
    }
    return "accepted";
}

std::string order_of(std::string_view order)
{
    try {
        return lp::orm::compile_order(order, users());
    }
    catch (lp::orm::bad_argument const& e) {
        return std::string("error: ") + e.what();
    }
}

std::string repeated(std::string_view term, std::size_t n, std::string_view separator = ",")
{
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        if (i > 0)
            out += separator;
        out += term;
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(domain)

BOOST_AUTO_TEST_CASE(child_of_and_parent_of_through_parent_path_or_parent_id)
{
    auto const scope = graph();
    auto r = compile(R"([["partner_id", "child_of", [5]]])", users(), scope);
    BOOST_TEST(r.where == R"sql("res_users"."partner_id" IN (SELECT "lp_h"."id" FROM "res_partner" "lp_h" WHERE "lp_h"."parent_path" LIKE ANY (ARRAY(SELECT "lp_r"."parent_path" || '%' FROM "res_partner" "lp_r" WHERE "lp_r"."id" = ANY($1::int8[])))))sql");
    BOOST_TEST(r.params == "'{5}'");
    r = compile(R"([["id", "parent_of", 4]])", partners(), scope);
    BOOST_TEST(r.where == R"sql("res_partner"."id" IN (SELECT "lp_a"."id"::int8 FROM "res_partner" "lp_h", unnest(string_to_array(rtrim("lp_h"."parent_path", '/'), '/')) AS "lp_a"("id") WHERE "lp_h"."id" = ANY($1::int8[])))sql");
    // Without parent_path: a recursive walk of parent_id.
    r = compile(R"([["company_id", "parent_of", [2, 3]]])", partners(), scope);
    BOOST_TEST(r.where.starts_with(R"sql("res_partner"."company_id" IN (WITH RECURSIVE "lp_h"("id", "up") AS (SELECT "id", "parent_id" FROM "res_company")sql"));
    BOOST_TEST(r.params == "'{2,3}'");
    // No ids (user.commercial_partner_id.id of a user without one): nothing, as Odoo's FALSE_LEAF.
    BOOST_TEST(where_of(R"([["partner_id", "child_of", false]])", users()) == "FALSE");
    BOOST_TEST(where_of(R"([["partner_id", "child_of", []]])", users()) == "FALSE");
    BOOST_TEST(domain_error(R"([["partner_id", "child_of", "Deco"]])", users(), scope)
               == "domain: operator 'child_of' expects record ids, got \"Deco\"");
}

BOOST_AUTO_TEST_CASE(field_paths_become_sub_selects)
{
    auto scope = graph();
    auto r = compile(R"([["partner_id.commercial_partner_id", "=", 5]])", users(), scope);
    BOOST_TEST(r.where == R"sql("res_users"."partner_id" IN (SELECT "res_partner"."id" FROM "res_partner" WHERE "res_partner"."commercial_partner_id" = $1))sql");
    // Two steps, and the scope's restriction on every table searched.
    scope.restrict = [](table_schema const& t, sql_fragment& out) { return "\"" + t.table + "\".\"id\" < " + out.bind("100"); };
    r = compile(R"([["partner_id.company_id.parent_id", "=", 1]])", users(), scope);
    BOOST_TEST(r.where == R"sql("res_users"."partner_id" IN (SELECT "res_partner"."id" FROM "res_partner" WHERE ("res_partner"."company_id" IN (SELECT "res_company"."id" FROM "res_company" WHERE ("res_company"."parent_id" = $1) AND "res_company"."id" < $2)) AND "res_partner"."id" < $3))sql");
    BOOST_TEST(r.params == "'1', '100', '100'");
    // An unknown table is asked for, not guessed.
    BOOST_CHECK_EXCEPTION(compile(R"([["partner_id.name", "=", "x"]])", tasks(), lp::orm::domain_scope{[](std::string const&) -> table_schema const* { return nullptr; }, {}}),
                          lp::orm::schema_needed, [](auto const& e) { return e.table == "res_partner"; });
    BOOST_TEST(domain_error(R"([["login.x", "=", 1]])", users(), scope) == "domain: field path 'login.x': 'login' is not a many2one");
    BOOST_TEST(domain_error(R"([["partner_id.a.b.c.d.e.f", "=", 1]])", users(), scope)
               == "domain: field path 'partner_id.a.b.c.d.e.f' is too long");
}

BOOST_AUTO_TEST_CASE(many2many_fields_and_followers)
{
    auto const scope = graph();
    auto r = compile(R"([["company_ids", "in", [1, 2]]])", users_with_companies(), scope);
    BOOST_TEST(r.where == R"sql("res_users"."id" IN (SELECT "res_company_users_rel"."user_id" FROM "res_company_users_rel" WHERE "res_company_users_rel"."user_id" IS NOT NULL AND "res_company_users_rel"."cid" IN ($1, $2)))sql");
    BOOST_TEST(where_of(R"([["company_ids", "=", false]])", users_with_companies(), scope)
               == R"sql("res_users"."id" NOT IN (SELECT "res_company_users_rel"."user_id" FROM "res_company_users_rel" WHERE "res_company_users_rel"."user_id" IS NOT NULL))sql");
    BOOST_TEST(where_of(R"(["!", ["company_ids", "in", [1]]])", users_with_companies(), scope)
               == R"sql("res_users"."id" NOT IN (SELECT "res_company_users_rel"."user_id" FROM "res_company_users_rel" WHERE "res_company_users_rel"."user_id" IS NOT NULL AND "res_company_users_rel"."cid" IN ($1)))sql");
    // The portal rule: followers under the user's commercial partner.
    r = compile(R"([["message_partner_ids", "child_of", [5]]])", tasks(), scope);
    BOOST_TEST(r.where == R"sql("project_task"."id" IN (SELECT "mail_followers"."res_id" FROM "mail_followers" WHERE "mail_followers"."res_id" IS NOT NULL AND "mail_followers"."res_model" = $1 AND "mail_followers"."partner_id" IN (SELECT "lp_h"."id" FROM "res_partner" "lp_h" WHERE "lp_h"."parent_path" LIKE ANY (ARRAY(SELECT "lp_r"."parent_path" || '%' FROM "res_partner" "lp_r" WHERE "lp_r"."id" = ANY($2::int8[]))))))sql");
    BOOST_TEST(r.params == "'project.task', '{5}'");
    BOOST_TEST(domain_error(R"([["company_ids", "ilike", "x"]])", users_with_companies(), scope)
               == "domain: operator 'ilike' is not supported on the many2many field 'company_ids'");
}

BOOST_AUTO_TEST_CASE(sql_fragment_binds_and_quotes)
{
    sql_fragment f;
    BOOST_TEST(f.bind("a") == "$1");
    BOOST_TEST(f.bind(std::nullopt) == "$2");
    BOOST_TEST(params_text(f.params) == "'a', NULL");
    BOOST_TEST(lp::orm::quote_identifier("res_users") == "\"res_users\"");
    BOOST_TEST(lp::orm::quote_identifier("a\"b\"") == "\"a\"\"b\"\"\"");
    BOOST_TEST(lp::orm::quote_identifier("") == "\"\"");
}

BOOST_AUTO_TEST_CASE(empty_domain_is_true)
{
    auto const r = compile("[]");
    BOOST_TEST(r.where == "TRUE");
    BOOST_TEST(r.params == "");
}

BOOST_AUTO_TEST_CASE(simple_leaf)
{
    auto const r = compile(R"([["login", "=", "admin"]])");
    BOOST_TEST(r.where == R"sql("res_users"."login" = $1)sql");
    BOOST_TEST(r.params == "'admin'");
}

BOOST_AUTO_TEST_CASE(nested_operators)
{
    auto const r = compile(R"(["|", ["login", "=", "a"], "&", ["active", "=", true], ["id", ">", 3]])");
    BOOST_TEST(r.where ==
               R"sql(("res_users"."login" = $1 OR ("res_users"."active" = $2 AND "res_users"."id" > $3)))sql");
    BOOST_TEST(r.params == "'a', 'true', '3'");

    BOOST_TEST(where_of(R"(["&", "&", ["id", "=", 1], ["id", "=", 2], ["id", "=", 3]])") ==
               R"sql((("res_users"."id" = $1 AND "res_users"."id" = $2) AND "res_users"."id" = $3))sql");
    BOOST_TEST(where_of(R"(["|", ["id", "=", 1], "|", ["id", "=", 2], ["id", "=", 3]])") ==
               R"sql(("res_users"."id" = $1 OR ("res_users"."id" = $2 OR "res_users"."id" = $3)))sql");
}

BOOST_AUTO_TEST_CASE(implicit_and)
{
    auto const r = compile(R"([["login", "=", "a"], ["id", ">", 3], ["share", "=", true]])");
    BOOST_TEST(r.where ==
               R"sql(("res_users"."login" = $1 AND "res_users"."id" > $2 AND "res_users"."share" = $3))sql");
    BOOST_TEST(r.params == "'a', '3', 'true'");

    BOOST_TEST(where_of(R"(["|", ["id", "=", 1], ["id", "=", 2], ["id", "=", 3]])") ==
               R"sql((("res_users"."id" = $1 OR "res_users"."id" = $2) AND "res_users"."id" = $3))sql");
    BOOST_TEST(where_of(R"([["id", "=", 1], "|", ["id", "=", 2], ["id", "=", 3]])") ==
               R"sql(("res_users"."id" = $1 AND ("res_users"."id" = $2 OR "res_users"."id" = $3)))sql");
    BOOST_TEST(where_of(R"([["id", "=", 1], "!", ["id", "=", 2]])") ==
               R"sql(("res_users"."id" = $1 AND ("res_users"."id" != $2 OR "res_users"."id" IS NULL)))sql");
}

BOOST_AUTO_TEST_CASE(not_is_pushed_into_leaves_as_odoo_does)
{
    BOOST_TEST(where_of(R"(["!", ["id", "=", 3]])") ==
               R"sql(("res_users"."id" != $1 OR "res_users"."id" IS NULL))sql");
    BOOST_TEST(where_of(R"(["!", ["id", "!=", 3]])") == R"sql("res_users"."id" = $1)sql");
    BOOST_TEST(where_of(R"(["!", ["id", "<", 3]])") == R"sql("res_users"."id" >= $1)sql");
    BOOST_TEST(where_of(R"(["!", ["id", "<=", 3]])") == R"sql("res_users"."id" > $1)sql");
    BOOST_TEST(where_of(R"(["!", ["id", ">", 3]])") == R"sql("res_users"."id" <= $1)sql");
    BOOST_TEST(where_of(R"(["!", ["id", ">=", 3]])") == R"sql("res_users"."id" < $1)sql");
    BOOST_TEST(where_of(R"(["!", ["id", "in", [1, 2]]])") ==
               R"sql(("res_users"."id" NOT IN ($1, $2) OR "res_users"."id" IS NULL))sql");
    BOOST_TEST(where_of(R"(["!", ["id", "not in", [1, 2]]])") == R"sql("res_users"."id" IN ($1, $2))sql");
    BOOST_TEST(where_of(R"(["!", ["login", "ilike", "x"]])") ==
               R"sql(("res_users"."login"::text NOT ILIKE $1 OR "res_users"."login" IS NULL))sql");
    BOOST_TEST(where_of(R"(["!", ["login", "not like", "x"]])") == R"sql("res_users"."login"::text LIKE $1)sql");
    BOOST_TEST(where_of(R"(["!", ["active", "=", false]])") ==
               R"sql(("res_users"."active" IS NOT NULL AND "res_users"."active" != false))sql");
    BOOST_TEST(where_of(R"(["!", ["login", "=", null]])") == R"sql("res_users"."login" IS NOT NULL)sql");
    BOOST_TEST(where_of(R"(["!", [1, "=", 1]])") == "FALSE");
    BOOST_TEST(where_of(R"(["!", [0, "=", 1]])") == "TRUE");
    BOOST_TEST(where_of(R"(["!", "!", ["id", "=", 3]])") == R"sql("res_users"."id" = $1)sql");
}

BOOST_AUTO_TEST_CASE(not_follows_de_morgan)
{
    BOOST_TEST(where_of(R"(["!", "|", ["id", "<", 1], ["id", ">", 9]])") ==
               R"sql(("res_users"."id" >= $1 AND "res_users"."id" <= $2))sql");
    BOOST_TEST(where_of(R"(["!", "&", ["id", "<", 1], "!", ["id", ">", 9]])") ==
               R"sql(("res_users"."id" >= $1 OR "res_users"."id" > $2))sql");
    BOOST_TEST(where_of(R"(["&", "!", ["id", "<", 1], ["id", "<", 9]])") ==
               R"sql(("res_users"."id" >= $1 AND "res_users"."id" < $2))sql");
}

BOOST_AUTO_TEST_CASE(not_without_inverse_operator_wraps)
{
    auto const r = compile(R"(["!", ["login", "=like", "a%"]])");
    BOOST_TEST(r.where == R"sql((NOT ("res_users"."login"::text LIKE $1)))sql");
    BOOST_TEST(r.params == "'a%'");
    BOOST_TEST(where_of(R"(["!", ["login", "=?", "a"]])") == R"sql((NOT ("res_users"."login" = $1)))sql");
    BOOST_TEST(where_of(R"(["!", ["login", "=?", false]])") == "(NOT (TRUE))");
    BOOST_TEST(where_of(R"(["!", "|", ["login", "=ilike", "a"], ["id", "=", 1]])") ==
               R"sql(((NOT ("res_users"."login"::text ILIKE $1)) AND ("res_users"."id" != $2 OR "res_users"."id" IS NULL)))sql");
}

BOOST_AUTO_TEST_CASE(constant_leaves)
{
    auto r = compile(R"([[1, "=", 1]])");
    BOOST_TEST(r.where == "TRUE");
    BOOST_TEST(r.params == "");
    BOOST_TEST(where_of(R"([[0, "=", 1]])") == "FALSE");
    BOOST_TEST(where_of(R"(["|", [0, "=", 1], ["id", "=", 1]])") == R"sql((FALSE OR "res_users"."id" = $1))sql");
    BOOST_TEST(where_of(R"([[1, "=", 1], [0, "=", 1]])") == "(TRUE AND FALSE)");
}

BOOST_AUTO_TEST_CASE(placeholders_continue_after_existing_params)
{
    sql_fragment out;
    out.sql = "SELECT 1 WHERE x = $1 AND y = $2";
    out.bind("x");
    out.bind(std::nullopt);
    auto const where = lp::orm::compile_domain(
        boost::json::parse(R"(["|", ["login", "in", ["a", "b"]], ["credit", ">", 2.5]])"), users(), out);
    BOOST_TEST(where == R"sql(("res_users"."login" IN ($3, $4) OR "res_users"."credit" > $5))sql");
    BOOST_TEST(params_text(out.params) == "'x', NULL, 'a', 'b', '2.5'");
    BOOST_TEST(out.sql == "SELECT 1 WHERE x = $1 AND y = $2");
}

BOOST_AUTO_TEST_CASE(params_are_untouched_on_error)
{
    sql_fragment out;
    out.bind("kept");
    BOOST_CHECK_THROW(lp::orm::compile_domain(boost::json::parse(R"([["id", "=", 1], ["login", "=", 5]])"), users(), out),
                      lp::orm::bad_argument);
    BOOST_TEST(params_text(out.params) == "'kept'");
}

BOOST_AUTO_TEST_CASE(operators_are_case_insensitive)
{
    BOOST_TEST(where_of(R"([["id", "NOT IN", [1]]])") ==
               R"sql(("res_users"."id" NOT IN ($1) OR "res_users"."id" IS NULL))sql");
    BOOST_TEST(where_of(R"([["login", "ILike", "a"]])") == R"sql("res_users"."login"::text ILIKE $1)sql");
    BOOST_TEST(where_of(R"([["login", "=ILIKE", "a"]])") == R"sql("res_users"."login"::text ILIKE $1)sql");
    BOOST_TEST(where_of(R"([["login", "Not Like", "a"]])") ==
               R"sql(("res_users"."login"::text NOT LIKE $1 OR "res_users"."login" IS NULL))sql");
}

BOOST_AUTO_TEST_CASE(equality_and_comparisons)
{
    auto r = compile(R"([["id", "!=", 3]])");
    BOOST_TEST(r.where == R"sql(("res_users"."id" != $1 OR "res_users"."id" IS NULL))sql");
    BOOST_TEST(r.params == "'3'");
    BOOST_TEST(where_of(R"([["id", "<>", 3]])") == R"sql(("res_users"."id" != $1 OR "res_users"."id" IS NULL))sql");
    BOOST_TEST(where_of(R"([["id", "<", 3]])") == R"sql("res_users"."id" < $1)sql");
    BOOST_TEST(where_of(R"([["id", "<=", 3]])") == R"sql("res_users"."id" <= $1)sql");
    BOOST_TEST(where_of(R"([["id", ">", 3]])") == R"sql("res_users"."id" > $1)sql");
    BOOST_TEST(where_of(R"([["id", ">=", 3]])") == R"sql("res_users"."id" >= $1)sql");
    r = compile(R"([["create_date", ">=", "2024-01-31 12:00:00"]])");
    BOOST_TEST(r.where == R"sql("res_users"."create_date" >= $1)sql");
    BOOST_TEST(r.params == "'2024-01-31 12:00:00'");
    r = compile(R"([["partner_id", "=", 7]])");
    BOOST_TEST(r.where == R"sql("res_users"."partner_id" = $1)sql");
    BOOST_TEST(r.params == "'7'");
    BOOST_TEST(compile(R"([["id", "=", -2147483648]])").params == "'-2147483648'");
}

BOOST_AUTO_TEST_CASE(false_and_null_mean_not_set)
{
    BOOST_TEST(where_of(R"([["login", "=", false]])") == R"sql("res_users"."login" IS NULL)sql");
    BOOST_TEST(where_of(R"([["login", "=", null]])") == R"sql("res_users"."login" IS NULL)sql");
    BOOST_TEST(where_of(R"([["partner_id", "=", false]])") == R"sql("res_users"."partner_id" IS NULL)sql");
    BOOST_TEST(where_of(R"([["login", "!=", false]])") == R"sql("res_users"."login" IS NOT NULL)sql");
    BOOST_TEST(where_of(R"([["login", "<>", null]])") == R"sql("res_users"."login" IS NOT NULL)sql");
    auto const r = compile(R"([["partner_id", "!=", false]])");
    BOOST_TEST(r.where == R"sql("res_users"."partner_id" IS NOT NULL)sql");
    BOOST_TEST(r.params == "");
}

BOOST_AUTO_TEST_CASE(boolean_columns)
{
    auto r = compile(R"([["active", "=", true]])");
    BOOST_TEST(r.where == R"sql("res_users"."active" = $1)sql");
    BOOST_TEST(r.params == "'true'");
    r = compile(R"([["active", "=", false]])");
    BOOST_TEST(r.where == R"sql(("res_users"."active" IS NULL OR "res_users"."active" = false))sql");
    BOOST_TEST(r.params == "");
    BOOST_TEST(where_of(R"([["active", "=", null]])") ==
               R"sql(("res_users"."active" IS NULL OR "res_users"."active" = false))sql");
    BOOST_TEST(where_of(R"([["active", "!=", false]])") ==
               R"sql(("res_users"."active" IS NOT NULL AND "res_users"."active" != false))sql");
    BOOST_TEST(where_of(R"([["active", "!=", null]])") ==
               R"sql(("res_users"."active" IS NOT NULL AND "res_users"."active" != false))sql");
    r = compile(R"([["share", "!=", true]])");
    BOOST_TEST(r.where == R"sql(("res_users"."share" != $1 OR "res_users"."share" IS NULL))sql");
    BOOST_TEST(r.params == "'true'");
    r = compile(R"([["active", "<", false]])");
    BOOST_TEST(r.where == R"sql("res_users"."active" < $1)sql");
    BOOST_TEST(r.params == "'false'");
}

BOOST_AUTO_TEST_CASE(optional_equality)
{
    auto r = compile(R"([["login", "=?", false]])");
    BOOST_TEST(r.where == "TRUE");
    BOOST_TEST(r.params == "");
    BOOST_TEST(where_of(R"([["login", "=?", null]])") == "TRUE");
    BOOST_TEST(where_of(R"([["active", "=?", false]])") == "TRUE");
    r = compile(R"([["login", "=?", "bob"]])");
    BOOST_TEST(r.where == R"sql("res_users"."login" = $1)sql");
    BOOST_TEST(r.params == "'bob'");
    BOOST_TEST(where_of(R"([["active", "=?", true]])") == R"sql("res_users"."active" = $1)sql");
}

BOOST_AUTO_TEST_CASE(in_lists)
{
    auto r = compile(R"([["id", "in", [1, 2, 3]]])");
    BOOST_TEST(r.where == R"sql("res_users"."id" IN ($1, $2, $3))sql");
    BOOST_TEST(r.params == "'1', '2', '3'");
    r = compile(R"([["login", "in", "solo"]])");
    BOOST_TEST(r.where == R"sql("res_users"."login" IN ($1))sql");
    BOOST_TEST(r.params == "'solo'");
    BOOST_TEST(where_of(R"([["id", "in", []]])") == "FALSE");
    BOOST_TEST(where_of(R"([["id", "not in", []]])") == "TRUE");
    r = compile(R"([["partner_id", "in", [4, false]]])");
    BOOST_TEST(r.where == R"sql(("res_users"."partner_id" IN ($1) OR "res_users"."partner_id" IS NULL))sql");
    BOOST_TEST(r.params == "'4'");
    BOOST_TEST(where_of(R"([["partner_id", "in", [false]]])") == R"sql("res_users"."partner_id" IS NULL)sql");
    BOOST_TEST(where_of(R"([["partner_id", "in", [null, false]]])") == R"sql("res_users"."partner_id" IS NULL)sql");
    BOOST_TEST(where_of(R"([["partner_id", "in", false]])") == R"sql("res_users"."partner_id" IS NULL)sql");
    r = compile(R"([["id", "not in", [1, 2]]])");
    BOOST_TEST(r.where == R"sql(("res_users"."id" NOT IN ($1, $2) OR "res_users"."id" IS NULL))sql");
    BOOST_TEST(r.params == "'1', '2'");
    BOOST_TEST(where_of(R"([["id", "not in", [1, null]]])") ==
               R"sql(("res_users"."id" NOT IN ($1) AND "res_users"."id" IS NOT NULL))sql");
    BOOST_TEST(where_of(R"([["id", "not in", [false]]])") == R"sql("res_users"."id" IS NOT NULL)sql");
    r = compile(R"([["active", "in", [true, false]]])");
    BOOST_TEST(r.where == R"sql(("res_users"."active" IN ($1, $2) OR "res_users"."active" IS NULL))sql");
    BOOST_TEST(r.params == "'true', 'false'");
    r = compile(R"([["active", "in", [true, null]]])");
    BOOST_TEST(r.where == R"sql(("res_users"."active" IN ($1) OR "res_users"."active" IS NULL))sql");
    BOOST_TEST(r.params == "'true'");
}

BOOST_AUTO_TEST_CASE(in_list_length_is_capped)
{
    auto const ok = compile(R"([["id", "in", [)" + repeated("1", 10000) + "]]]");
    BOOST_TEST(ok.where.find("$10000)") != std::string::npos);
    BOOST_TEST(domain_error(R"([["id", "in", [)" + repeated("1", 10001) + "]]]") ==
               "domain: list for field 'id' has 10001 values (at most 10000)");
    // Many large lists together still stay far below PostgreSQL's 65535-parameter limit.
    std::string const leaf = R"(["id", "in", [)" + repeated("1", 10000) + "]]";
    BOOST_TEST(domain_error("[" + repeated(leaf, 4) + "]") == "domain: too many values (at most 30000)");
}

BOOST_AUTO_TEST_CASE(like_operators)
{
    auto r = compile(R"([["login", "like", "adm"]])");
    BOOST_TEST(r.where == R"sql("res_users"."login"::text LIKE $1)sql");
    BOOST_TEST(r.params == "'%adm%'");
    r = compile(R"([["login", "ilike", "Adm"]])");
    BOOST_TEST(r.where == R"sql("res_users"."login"::text ILIKE $1)sql");
    BOOST_TEST(r.params == "'%Adm%'");
    r = compile(R"([["login", "not like", "adm"]])");
    BOOST_TEST(r.where == R"sql(("res_users"."login"::text NOT LIKE $1 OR "res_users"."login" IS NULL))sql");
    BOOST_TEST(r.params == "'%adm%'");
    BOOST_TEST(where_of(R"([["login", "not ilike", "adm"]])") ==
               R"sql(("res_users"."login"::text NOT ILIKE $1 OR "res_users"."login" IS NULL))sql");
    r = compile(R"([["login", "=like", "a_%"]])");
    BOOST_TEST(r.where == R"sql("res_users"."login"::text LIKE $1)sql");
    BOOST_TEST(r.params == "'a_%'");
    r = compile(R"([["login", "=ilike", "A%"]])");
    BOOST_TEST(r.where == R"sql("res_users"."login"::text ILIKE $1)sql");
    BOOST_TEST(r.params == "'A%'");
    r = compile(R"([["id", "like", 12]])");
    BOOST_TEST(r.where == R"sql("res_users"."id"::text LIKE $1)sql");
    BOOST_TEST(r.params == "'%12%'");
    BOOST_TEST(compile(R"([["partner_id", "ilike", 4]])").params == "'%4%'");
    BOOST_TEST(compile(R"([["create_date", "like", "2024-"]])").params == "'%2024-%'");
}

BOOST_AUTO_TEST_CASE(like_with_an_empty_pattern)
{
    // As Odoo: an empty search matches every row; its negation matches none.
    auto r = compile(R"([["login", "ilike", ""]])");
    BOOST_TEST(r.where == R"sql(("res_users"."login"::text ILIKE $1 OR "res_users"."login" IS NULL))sql");
    BOOST_TEST(r.params == "'%%'");
    BOOST_TEST(where_of(R"([["login", "not ilike", ""]])") == R"sql("res_users"."login"::text NOT ILIKE $1)sql");
    BOOST_TEST(where_of(R"([["login", "=like", ""]])") == R"sql("res_users"."login"::text LIKE $1)sql");
}

BOOST_AUTO_TEST_CASE(number_formatting)
{
    BOOST_TEST(compile(R"([["credit", ">", 1.5]])").params == "'1.5'");
    BOOST_TEST(compile(R"([["credit", ">", 10]])").params == "'10'");
    BOOST_TEST(compile(R"([["credit", ">", 0.1]])").params == "'0.1'");
    BOOST_TEST(compile(R"([["credit", ">", 0.30000000000000004]])").params == "'0.30000000000000004'");
    BOOST_TEST(compile(R"([["credit", ">", -1e300]])").params == "'-1e+300'");
    BOOST_TEST(compile(R"([["ratio", "=", 18446744073709551615]])", types()).params == "'18446744073709551615'");
    BOOST_TEST(compile(R"([["big", "=", -9223372036854775808]])", types()).params == "'-9223372036854775808'");
    BOOST_TEST(compile(R"([["big", "=", 9223372036854775807]])", types()).params == "'9223372036854775807'");
    BOOST_TEST(compile(R"([["small", "=", -32768]])", types()).params == "'-32768'");
}

BOOST_AUTO_TEST_CASE(accepted_value_types)
{
    BOOST_TEST(compile(R"([["code", "=", "X"]])", types()).params == "'X'");
    BOOST_TEST(compile(R"([["body", "=", "long text"]])", types()).params == "'long text'");
    BOOST_TEST(compile(R"([["day", "<", "2024-02-01"]])", types()).params == "'2024-02-01'");
    BOOST_TEST(compile(R"([["stamp", "<", "2024-02-01T00:00:00Z"]])", types()).params == "'2024-02-01T00:00:00Z'");
    BOOST_TEST(compile(R"([["data", "=", "{\"a\": 1}"]])", types()).params == R"('{"a": 1}')");
    BOOST_TEST(compile(R"([["uid", "=", "0e4f8a52-0000-0000-0000-000000000000"]])", types()).params ==
               "'0e4f8a52-0000-0000-0000-000000000000'");
    BOOST_TEST(compile(R"([["uid", "=", 5]])", types()).params == "'5'");
    BOOST_TEST(where_of(R"([["uid", "=", 5]])", types()) == R"sql("test_types"."uid" = $1)sql");
}

BOOST_AUTO_TEST_CASE(value_type_rejections)
{
    BOOST_TEST(domain_error(R"([["partner_id", "=", "3"]])") == "domain: field 'partner_id' expects an integer");
    BOOST_TEST(domain_error(R"([["id", "=", "3"]])") == "domain: field 'id' expects an integer");
    BOOST_TEST(domain_error(R"([["id", "=", 3.0]])") == "domain: field 'id' expects an integer");
    BOOST_TEST(domain_error(R"([["id", "=", true]])") == "domain: field 'id' expects an integer");
    BOOST_TEST(domain_error(R"([["id", "in", [1, "2"]]])") == "domain: field 'id' expects an integer");
    BOOST_TEST(domain_error(R"([["id", "=", 2147483648]])") ==
               "domain: value 2147483648 is out of range for field 'id' (int4)");
    BOOST_TEST(domain_error(R"([["id", "<", -2147483649]])") ==
               "domain: value -2147483649 is out of range for field 'id' (int4)");
    BOOST_TEST(domain_error(R"([["small", "=", 32768]])", types()) ==
               "domain: value 32768 is out of range for field 'small' (int2)");
    BOOST_TEST(domain_error(R"([["big", "=", 9223372036854775808]])", types()) ==
               "domain: value 9223372036854775808 is out of range for field 'big' (int8)");
    BOOST_TEST(domain_error(R"([["login", "=", 3]])") == "domain: field 'login' expects a string");
    BOOST_TEST(domain_error(R"([["login", "=", true]])") == "domain: field 'login' expects a string");
    BOOST_TEST(domain_error(R"([["login", "=", {"a": 1}]])") == "domain: field 'login' expects a string");
    BOOST_TEST(domain_error(R"([["login", "in", [["a"]]]])") == "domain: field 'login' expects a string");
    BOOST_TEST(domain_error(R"([["login", "=", ["a"]]])") ==
               "domain: operator '=' on field 'login' does not take a list (use 'in' or 'not in')");
    BOOST_TEST(domain_error(R"([["id", ">", [1]]])") ==
               "domain: operator '>' on field 'id' does not take a list (use 'in' or 'not in')");
    BOOST_TEST(domain_error(R"([["active", "=", 1]])") == "domain: field 'active' expects a boolean");
    BOOST_TEST(domain_error(R"([["active", "in", ["true"]]])") == "domain: field 'active' expects a boolean");
    BOOST_TEST(domain_error(R"([["credit", ">", "1.5"]])") == "domain: field 'credit' expects a number");
    BOOST_TEST(domain_error(R"([["create_date", ">", 5]])") == "domain: field 'create_date' expects a string");
    BOOST_TEST(domain_error(R"([["data", "=", {"a": 1}]])", types()) == "domain: field 'data' expects a string");
    BOOST_TEST(domain_error(R"([["uid", "=", true]])", types()) == "domain: field 'uid' expects a string or a number");
    BOOST_TEST(domain_error(R"([["login", "like", true]])") ==
               "domain: operator 'like' on field 'login' expects a string");
    BOOST_TEST(domain_error(R"([["login", "ilike", null]])") ==
               "domain: operator 'ilike' on field 'login' expects a string");
    BOOST_TEST(domain_error(R"([["login", "=like", ["a"]]])") ==
               "domain: operator '=like' on field 'login' expects a string");
    BOOST_TEST(domain_error(R"([["partner_id", "ilike", "Azure"]])") ==
               "domain: field 'partner_id' expects an integer (searching a many2one by name is not supported)");
    BOOST_TEST(domain_error(R"([["id", "<", false]])") ==
               "domain: operator '<' on field 'id' needs a value, not false or null");
    BOOST_TEST(domain_error(R"([["login", ">=", null]])") ==
               "domain: operator '>=' on field 'login' needs a value, not false or null");
    BOOST_TEST(domain_error(R"([["active", "<", null]])") ==
               "domain: operator '<' on field 'active' needs a value, not false or null");
    // Negation does not change what the message names.
    BOOST_TEST(domain_error(R"(["!", ["id", "<", null]])") ==
               "domain: operator '<' on field 'id' needs a value, not false or null");
    BOOST_TEST(domain_error(R"([["login", "=", "a\u0000b"]])") == "domain: strings may not contain NUL characters");
    BOOST_TEST(domain_error(R"([["login", "like", "a\u0000b"]])") == "domain: strings may not contain NUL characters");
}

BOOST_AUTO_TEST_CASE(non_finite_numbers_are_rejected)
{
    sql_fragment out;
    boost::json::value const domain = boost::json::array{boost::json::array{"credit", "<", 1e308 * 10}};
    BOOST_CHECK_EXCEPTION(lp::orm::compile_domain(domain, users(), out), lp::orm::bad_argument, [](auto const& e) {
        return std::string(e.what()) == "domain: numbers must be finite";
    });
}

BOOST_AUTO_TEST_CASE(field_and_operator_rejections)
{
    BOOST_TEST(domain_error(R"([["foo", "=", 1]])") == "domain: unknown field 'foo' on res.users");
    BOOST_TEST(domain_error(R"([["Login", "=", "a"]])") == "domain: unknown field 'Login' on res.users");
    BOOST_TEST(domain_error(R"([["partner_id.name", "=", "a"]])") ==
               "domain: field paths, many2many fields and hierarchy operators need the model graph");
    BOOST_TEST(domain_error(R"([["nothing.name", "=", "a"]])") == "domain: unknown field 'nothing.name' on res.users");
    BOOST_TEST(domain_error(R"([["login", "like!", "a"]])") == "domain: unknown operator 'like!'");
    BOOST_TEST(domain_error(R"([["login", "==", "a"]])") == "domain: unknown operator '=='");
    BOOST_TEST(domain_error(R"([["login", "not  in", ["a"]]])") == "domain: unknown operator 'not  in'");
    BOOST_TEST(domain_error(R"([["id", "child_of", 1]])") == "domain: operator 'child_of': res_users has no parent_path or parent_id");
    BOOST_TEST(domain_error(R"([["login", "Parent_Of", 1]])") == "domain: operator 'parent_of' needs a many2one field or 'id', not 'login'");
    BOOST_TEST(domain_error(R"([["partner_id", "any", []]])") == "domain: unsupported operator 'any'");
    BOOST_TEST(domain_error(R"([["partner_id", "not any", []]])") == "domain: unsupported operator 'not any'");
    BOOST_TEST(domain_error(R"([["login", 1, "a"]])") == "domain: operator for field 'login' must be a string");
    BOOST_TEST(domain_error(R"([[1, "=", 2]])") == "domain: leaf at index 0: the field must be a string");
    BOOST_TEST(domain_error(R"([[null, "=", 1]])") == "domain: leaf at index 0: the field must be a string");
    // Client text in messages is cut short.
    std::string const long_name(200, 'x');
    BOOST_TEST(domain_error(R"([[")" + long_name + R"(", "=", 1]])") ==
               "domain: unknown field '" + std::string(64, 'x') + "...' on res.users");
}

BOOST_AUTO_TEST_CASE(structure_rejections)
{
    BOOST_TEST(domain_error(R"({"login": "a"})") == "domain: must be a JSON array of terms");
    BOOST_TEST(domain_error(R"("login")") == "domain: must be a JSON array of terms");
    BOOST_TEST(domain_error("null") == "domain: must be a JSON array of terms");
    BOOST_TEST(domain_error(R"(["login", "=", "a"])") ==
               "domain: unknown term 'login' at index 0; expected '&', '|', '!' or a [field, operator, value] leaf");
    BOOST_TEST(domain_error(R"([["id", "=", 1], 5])") ==
               "domain: term at index 1 is not '&', '|', '!' or a [field, operator, value] leaf");
    BOOST_TEST(domain_error(R"([["id", "="]])") ==
               "domain: leaf at index 0 has 2 items; expected [field, operator, value]");
    BOOST_TEST(domain_error(R"([["id", "=", 1, 2]])") ==
               "domain: leaf at index 0 has 4 items; expected [field, operator, value]");
    BOOST_TEST(domain_error(R"([[]])") == "domain: leaf at index 0 has 0 items; expected [field, operator, value]");
    BOOST_TEST(domain_error(R"(["&", ["id", "=", 1]])") == "domain: operator '&' at index 0 needs 2 operands, found 1");
    BOOST_TEST(domain_error(R"(["|"])") == "domain: operator '|' at index 0 needs 2 operands, found 0");
    BOOST_TEST(domain_error(R"(["!"])") == "domain: operator '!' at index 0 needs 1 operand, found 0");
    BOOST_TEST(domain_error(R"(["|", "&", ["id", "=", 1], ["id", "=", 2]])") ==
               "domain: operator '|' at index 0 needs 2 operands, found 1");
    BOOST_TEST(domain_error(R"([["id", "=", 1], "!"])") == "domain: operator '!' at index 1 needs 1 operand, found 0");
}

BOOST_AUTO_TEST_CASE(size_is_bounded_and_depth_is_safe)
{
    std::string const leaf = R"(["id", "=", 1])";
    auto const wide = compile("[" + repeated(leaf, 1000) + "]");
    BOOST_TEST(wide.where.find("$1000)") != std::string::npos);
    BOOST_TEST(domain_error("[" + repeated(leaf, 1001) + "]") == "domain: too many terms (1001, at most 1000)");
    // The deepest allowed nesting compiles without recursion.
    BOOST_TEST(where_of("[" + repeated(R"("!")", 998) + "," + leaf + "]") == R"sql("res_users"."id" = $1)sql");
    auto const deep = where_of("[" + repeated(R"("|")", 499) + "," + repeated(leaf, 500) + "]");
    BOOST_TEST(deep.starts_with(std::string(499, '(') + R"sql("res_users"."id" = $1 OR "res_users"."id" = $2))sql"));
    BOOST_TEST(deep.ends_with(R"sql(OR "res_users"."id" = $500))sql"));
}

BOOST_AUTO_TEST_CASE(identifiers_are_quoted)
{
    table_schema const odd{"odd.model", "we\"ird", {{"co\"l", "int4", std::nullopt}}};
    BOOST_TEST(where_of(R"([["co\"l", "=", 1]])", odd) == R"sql("we""ird"."co""l" = $1)sql");
    BOOST_TEST(lp::orm::compile_order("co\"l desc", odd) == R"sql("we""ird"."co""l" DESC)sql");
}

BOOST_AUTO_TEST_CASE(mentions)
{
    auto const d = boost::json::parse(R"(["|", ["active", "=", false], ["login", "=", "a"]])");
    BOOST_TEST(lp::orm::domain_mentions(d, "active"));
    BOOST_TEST(lp::orm::domain_mentions(d, "login"));
    BOOST_TEST(!lp::orm::domain_mentions(d, "id"));
    BOOST_TEST(!lp::orm::domain_mentions(d, "|"));
    BOOST_TEST(!lp::orm::domain_mentions(boost::json::parse(R"([["active.x", "=", 1]])"), "active"));
    BOOST_TEST(!lp::orm::domain_mentions(boost::json::parse("[]"), "active"));
    BOOST_TEST(!lp::orm::domain_mentions(boost::json::parse(R"({"active": 1})"), "active"));
    BOOST_TEST(!lp::orm::domain_mentions(boost::json::parse(R"([["active", "="], 3, "active"])"), "active"));
}

BOOST_AUTO_TEST_CASE(order_specs)
{
    // Blank: Odoo's default order, never an empty ORDER BY.
    BOOST_TEST(order_of("") == R"sql("res_users"."id" ASC)sql");
    BOOST_TEST(order_of("  \t") == R"sql("res_users"."id" ASC)sql");
    BOOST_TEST(order_of("id") == R"sql("res_users"."id" ASC)sql");
    BOOST_TEST(order_of("login desc, id") == R"sql("res_users"."login" DESC, "res_users"."id" ASC)sql");
    BOOST_TEST(order_of("create_date DESC NULLS LAST") == R"sql("res_users"."create_date" DESC NULLS LAST)sql");
    BOOST_TEST(order_of(" login  Asc  nulls  First ,credit\tdesc ") ==
               R"sql("res_users"."login" ASC NULLS FIRST, "res_users"."credit" DESC)sql");
    BOOST_TEST(order_of("id nulls last") == R"sql("res_users"."id" ASC NULLS LAST)sql");
    BOOST_TEST(order_of(repeated("id", 20)).size() == 20 * std::string(R"sql("res_users"."id" ASC)sql").size() + 19 * 2);
}

BOOST_AUTO_TEST_CASE(order_rejections)
{
    BOOST_TEST(order_of("foo") == "error: order: unknown field 'foo' on res.users");
    BOOST_TEST(order_of("ID") == "error: order: unknown field 'ID' on res.users");
    BOOST_TEST(order_of("\"login\"") == "error: order: unknown field '\"login\"' on res.users");
    BOOST_TEST(order_of("login;drop table res_users") == "error: order: unknown field 'login;drop' on res.users");
    BOOST_TEST(order_of("partner_id.name") == "error: order: field paths such as 'partner_id.name' are not supported");
    BOOST_TEST(order_of("login sideways") ==
               "error: order: invalid item 'login sideways'; expected 'field [asc|desc] [nulls first|nulls last]'");
    BOOST_TEST(order_of("login desc desc") ==
               "error: order: invalid item 'login desc desc'; expected 'field [asc|desc] [nulls first|nulls last]'");
    BOOST_TEST(order_of("login nulls") ==
               "error: order: invalid item 'login nulls'; expected 'field [asc|desc] [nulls first|nulls last]'");
    BOOST_TEST(order_of("login desc nulls middle") ==
               "error: order: invalid item 'login desc nulls middle'; expected 'field [asc|desc] [nulls first|nulls last]'");
    BOOST_TEST(order_of("login nulls last desc") ==
               "error: order: invalid item 'login nulls last desc'; expected 'field [asc|desc] [nulls first|nulls last]'");
    BOOST_TEST(order_of("login,") == "error: order: empty item in 'login,'");
    BOOST_TEST(order_of(", login") == "error: order: empty item in ', login'");
    BOOST_TEST(order_of("login,,id") == "error: order: empty item in 'login,,id'");
    BOOST_TEST(order_of(repeated("id", 21)) == "error: order: too many items (21, at most 20)");
}

BOOST_AUTO_TEST_SUITE_END()
