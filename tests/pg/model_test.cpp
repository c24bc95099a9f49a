// OpenERP's read API on the demo database, compared with hand-checked JSON.
#include "orm_bridge/model.hpp"
#include "orm_bridge/errors.hpp"
#include "tests/support/pg_database.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {
struct fixture {
    lp::test::test_database db{"lp_model"};
    asio::io_context io;
    lp::orm::database_set databases{io.get_executor(), {db.name()}, db.settings(2)};

    /// As the superuser: these tests are about the read API, access_rules_test about rights.
    lp::orm::model model(std::string name, json::object context = {})
    {
        return lp::orm::model(*databases.find(db.name()), std::move(name), std::chrono::steady_clock::now() + 10s,
                              std::move(context), lp::orm::caller::superuser());
    }

    std::string json_of(asio::awaitable<json::array> work) { return json::serialize(lp::test::run(io, std::move(work))); }

    std::string error_of(asio::awaitable<json::array> work)
    {
        try {
            lp::test::run(io, std::move(work));
        }
        catch (lp::orm::bad_argument const& e) {
            return e.what();
        }
        return "accepted";
    }
};
} // namespace

BOOST_FIXTURE_TEST_SUITE(model, fixture)

BOOST_AUTO_TEST_CASE(read_answers_like_openerp_with_many2one_pairs)
{
    BOOST_TEST(json_of(model("res.users").read(json::array{2}, json::array{"login", "partner_id", "active"}))
               == R"([{"id":2,"login":"admin","partner_id":[2,"Administrator"],"active":true}])");
    // In the order asked, each once; NULL reads as false.
    BOOST_TEST(json_of(model("res.users").read(json::array{3, 1, 3}, json::array{"password", "partner_id"}))
               == R"([{"id":3,"password":"demo","partner_id":[3,"Marc Demo"]},{"id":1,"password":false,"partner_id":[1,"My Company"]}])");
    // A single id, and all columns when no field is named.
    auto all = lp::test::run(io, model("res.partner").read(4));
    BOOST_TEST(all.size() == 1u);
    BOOST_TEST(all[0].at("name").as_string() == "Joel Willis");
    BOOST_TEST(all[0].as_object().contains("create_date"));
    BOOST_TEST(all[0].at("create_date").as_string().size() == 19u); // "YYYY-MM-DD HH:MM:SS"
}

BOOST_AUTO_TEST_CASE(many2one_to_users_shows_the_partner_name)
{
    BOOST_TEST(json_of(model("bus.bus").read(json::array{1}, json::array{"create_uid", "channel"}))
               == R"([{"id":1,"create_uid":[2,"Administrator"],"channel":"[\"demo\",\"res.partner\",3]"}])");
}

BOOST_AUTO_TEST_CASE(search_and_search_count_with_domains)
{
    // Odoo's implicit active = true: the inactive __system__ and public users are left out...
    BOOST_TEST(json_of(model("res.users").search(json::array{})) == "[2,3,4]");
    // ...unless the domain or the context says otherwise.
    BOOST_TEST(json_of(model("res.users").search(json::parse(R"([["active","in",[true,false]]])"))) == "[1,2,3,4,5]");
    BOOST_TEST(json_of(model("res.users", {{"active_test", false}}).search(json::array{})) == "[1,2,3,4,5]");
    BOOST_TEST(json_of(model("res.partner").search(json::parse(R"(["|",["name","ilike","demo"],["email","=like","joel%"]])")))
               == "[3,4]");
    // By name descending: Public user (7), My Company (Chicago) (8), My Company (1), Marc Demo (3)...
    BOOST_TEST(json_of(model("res.partner").search(json::array{}, 1, 2, "name desc")) == "[8,1]");
    BOOST_TEST(lp::test::run(io, model("res.partner").search_count(json::parse(R"([["id",">",1]])"))) == 7);
    BOOST_TEST(lp::test::run(io, model("res.users").search_count(json::parse(R"([["partner_id","=",false]])"))) == 0);
}

BOOST_AUTO_TEST_CASE(search_read_in_one_call)
{
    BOOST_TEST(json_of(model("res.users").search_read(json::parse(R"([["login","!=","admin"]])"),
                                                      json::array{"login", "partner_id"}))
               == R"([{"id":3,"login":"demo","partner_id":[3,"Marc Demo"]},{"id":4,"login":"portal","partner_id":[4,"Joel Willis"]}])");
}

BOOST_AUTO_TEST_CASE(a_blank_order_is_odoos_default)
{
    // Once answered "ORDER BY  LIMIT" (invalid SQL, surfaced as a 400 with raw SQL text).
    BOOST_TEST(json_of(model("res.users").search(json::array{}, 0, 2, "  ")) == "[2,3]");
    BOOST_TEST(json_of(model("res.users").search_read(json::array{}, json::array{"login"}, 0, 1, " "))
               == R"([{"id":2,"login":"admin"}])");
}

BOOST_AUTO_TEST_CASE(bad_requests_name_the_problem_and_reach_no_sql)
{
    BOOST_TEST(error_of(model("res.nothing").search(json::array{})).starts_with("unknown model 'res.nothing'"));
    BOOST_TEST(error_of(model("res.users; drop").search(json::array{})).starts_with("unknown model"));
    BOOST_TEST(error_of(model("res.users").read(json::array{2}, json::array{"nope"}))
               == "unknown field 'nope' on res.users");
    BOOST_TEST(error_of(model("res.users").read(json::array{"2"})).starts_with("res.users.read: ids must be integers"));
    BOOST_TEST(error_of(model("res.users").read(json::array{99})) == "res.users.read: record 99 does not exist");
    BOOST_TEST(error_of(model("res.users").search(json::parse(R"([["login","like!","a"]])"))).starts_with("domain: "));
    BOOST_TEST(error_of(model("res.users").search(json::parse(R"([["id","=","1 OR 1=1"]])"))).starts_with("domain: "));
    BOOST_TEST(error_of(model("res.users").search(json::array{}, 0, std::nullopt, "login; drop table x"))
                   .starts_with("order: "));
    BOOST_TEST(db.exec("SELECT count(*) FROM res_users") == "5");
}

BOOST_AUTO_TEST_CASE(raw_read_only_queries)
{
    lp::orm::read_cursor cursor(*databases.find(db.name()), std::chrono::steady_clock::now() + 10s);
    BOOST_TEST(json::serialize(lp::test::run(io, cursor.query("SELECT id, login, active, NULL AS nothing FROM res_users WHERE id = $1",
                                                              {"2"})))
               == R"([{"id":2,"login":"admin","active":true,"nothing":null}])");
    try {
        lp::test::run(io, cursor.query("DELETE FROM bus_bus"));
        BOOST_FAIL("a write must fail");
    }
    catch (lp::orm::pg::error const& e) {
        BOOST_TEST(e.sqlstate() == "25006");
    }
    BOOST_TEST(db.exec("SELECT count(*) FROM bus_bus") == "1");
    // The one backstop setting for a leaked lease reaches the session (connection_settings).
    lp::orm::read_cursor again(*databases.find(db.name()), std::chrono::steady_clock::now() + 10s);
    BOOST_TEST(json::serialize(lp::test::run(io, again.query("SELECT current_setting('idle_in_transaction_session_timeout') AS t")))
               == R"([{"t":"1min"}])");
}

BOOST_AUTO_TEST_CASE(odoo_databases_take_many2one_from_ir_model_fields)
{
    // Once it lists a model's many2one fields, only those count: company_id, a foreign key it
    // does not list, reads as a plain id.
    db.exec("INSERT INTO ir_model_fields (model, name, ttype, relation) VALUES "
            "('res.partner', 'parent_id', 'many2one', 'res.partner');"
            "UPDATE res_partner SET parent_id = 1 WHERE id = 4;");
    BOOST_TEST(json_of(model("res.partner").read(json::array{4}, json::array{"parent_id", "company_id"}))
               == R"([{"id":4,"parent_id":[1,"My Company"],"company_id":1}])");
}

BOOST_AUTO_TEST_SUITE_END()
