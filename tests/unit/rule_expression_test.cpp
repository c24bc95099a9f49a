// The Python subset of Odoo's record rules, evaluated without Python.
#include "orm_bridge/rule_expression.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace json = boost::json;
using expression = lp::orm::rule_expression;
using lp::orm::rule_expression_error;

namespace {

std::string evaluated(std::string_view text, std::map<std::string, json::value> const& user = {})
{
    return json::serialize(expression::parse(text).evaluate(user, json::array{1, 3}, 1));
}

std::string refused(std::string_view text)
{
    try {
        expression::parse(text).evaluate({}, json::array{1}, 1);
    }
    catch (rule_expression_error const& e) {
        return e.what();
    }
    return "accepted";
}

} // namespace

BOOST_AUTO_TEST_SUITE(rule_expression)

BOOST_AUTO_TEST_CASE(real_rules_from_odoo_modules)
{
    // base: multi-company partners (14+), users, companies.
    BOOST_TEST(evaluated("['|', '|', ('partner_share', '=', False), ('company_id', 'parent_of', company_ids), "
                         "('company_id', '=', False)]")
               == R"(["|","|",["partner_share","=",false],["company_id","parent_of",[1,3]],["company_id","=",false]])");
    BOOST_TEST(evaluated("[('id','in', company_ids)]") == R"([["id","in",[1,3]]])");
    BOOST_TEST(evaluated("[('company_id', '=', company_id)]") == R"([["company_id","=",1]])");
    // sale: a salesman's own orders; portal: followers under the commercial partner.
    BOOST_TEST(evaluated("['|',('user_id','=',user.id),('user_id','=',False)]", {{"id", 7}})
               == R"(["|",["user_id","=",7],["user_id","=",false]])");
    BOOST_TEST(evaluated("[('message_partner_ids','child_of',[user.commercial_partner_id.id])]",
                         {{"commercial_partner_id.id", 5}})
               == R"([["message_partner_ids","child_of",[5]]])");
    // Odoo 12 style, with list concatenation, tuples, None and a trailing comma.
    BOOST_TEST(evaluated("[('company_id', 'in', company_ids + [False]), (1, '=', 1),]") ==
               R"([["company_id","in",[1,3,false]],[1,"=",1]])");
    BOOST_TEST(evaluated("[(\"x\", \"=\", None), ('n', '>', -2.5), ('s', '=', 'it\\'s')]")
               == R"([["x","=",null],["n",">",-2.5E0],["s","=","it's"]])");
    BOOST_TEST(evaluated("[]") == "[]");
    BOOST_TEST(evaluated("[('company_ids', 'in', user.company_ids.ids)]", {{"company_ids.ids", json::array{1, 2}}})
               == R"([["company_ids","in",[1,2]]])");
}

BOOST_AUTO_TEST_CASE(user_paths_are_listed_for_the_caller_to_resolve)
{
    auto const e = expression::parse("['|', ('a', '=', user.id), ('b', 'child_of', [user.partner_id.commercial_partner_id.id, user.id])]");
    auto const paths = e.user_paths();
    BOOST_TEST(paths.size() == 2u);
    BOOST_TEST(paths[0] == (std::vector<std::string>{"id"}));
    BOOST_TEST(paths[1] == (std::vector<std::string>{"partner_id", "commercial_partner_id", "id"}));
    // A path nobody resolved is refused, not read as false.
    BOOST_CHECK_THROW(e.evaluate({{"id", 2}}, json::array{}, false), rule_expression_error);
}

BOOST_AUTO_TEST_CASE(anything_outside_the_subset_is_refused)
{
    BOOST_TEST(refused("[('a', '=', user.has_group('base.group_user'))]") == "calls and subscripts are not supported ('has_group(')");
    BOOST_TEST(refused("[('date', '<', time.strftime('%Y-%m-%d'))]") == "calls and subscripts are not supported ('strftime(')");
    BOOST_TEST(refused("[('date', '<', time)]") == "unknown name 'time'");
    BOOST_TEST(refused("[('a', '=', user)]") == "unknown name 'user'");
    BOOST_TEST(refused("[('a', '=', __import__('os'))]") == "calls and subscripts are not supported ('__import__(')");
    BOOST_TEST(refused("[('a', '=', 1 if True else 2)]").starts_with("expected ',' or ')'"));
    BOOST_TEST(refused("[('a', '=', company_ids[0])]") == "calls and subscripts are not supported ('company_ids[')");
    BOOST_TEST(refused("[('a', '=', 'unterminated)]") == "unterminated string");
    BOOST_TEST(refused("[('a', '=', 1)] + ") == "unexpected end of text");
    BOOST_TEST(refused("[('a', '=', 'x' + 1)]") == "'+' on values other than two lists or two integers");
    BOOST_TEST(refused("[('a', '=', 1)] [") .starts_with("unexpected '['"));
    BOOST_TEST(refused(std::string(100, '[')) == "nested too deep");
}

BOOST_AUTO_TEST_SUITE_END()
