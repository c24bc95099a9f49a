// Odoo's access rights through the ORM bridge, on the demo database (base's groups, access
// lines and rules: etc/demo.sql) plus a sale.order-shaped model with the rules of Odoo's sale
// module: a salesman's own orders, a manager's all orders (an implied group), portal
// followers, multi-company.
#include "orm_bridge/model.hpp"
#include "orm_bridge/errors.hpp"
#include "routes/request.hpp"
#include "routes/services.hpp"
#include "tests/support/pg_database.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using lp::orm::caller;

namespace {

// Users added to the demo's: 6 a salesman, 7 a sales manager of both companies (Sales / All
// Documents, which implies Salesman: no Salesman row of their own).
constexpr char const* sales_fixture = R"sql(
CREATE TABLE mail_followers (id serial PRIMARY KEY, res_model varchar NOT NULL, res_id integer,
                             partner_id integer REFERENCES res_partner (id));
CREATE TABLE sale_order (id serial PRIMARY KEY, name varchar NOT NULL, user_id integer REFERENCES res_users (id),
                         partner_id integer REFERENCES res_partner (id), company_id integer REFERENCES res_company (id),
                         active boolean DEFAULT true);
INSERT INTO res_partner (id, name, company_id, parent_id, parent_path, commercial_partner_id, partner_share) VALUES
    (20, 'Sally Salesman', 1, NULL, '20/', 20, false), (21, 'Manny Manager', 1, NULL, '21/', 21, false),
    (22, 'Deco Addict, Accounting', 1, 5, '5/22/', 5, true);
INSERT INTO res_users (id, login, active, partner_id, company_id, share) VALUES
    (6, 'sally', true, 20, 1, false), (7, 'manny', true, 21, 1, false);
INSERT INTO res_company_users_rel (cid, user_id) VALUES (1, 6), (1, 7), (2, 7);
INSERT INTO res_groups (id, name) VALUES (20, 'Sales / User: Own Documents Only'), (21, 'Sales / User: All Documents');
INSERT INTO res_groups_implied_rel (gid, hid) VALUES (20, 1), (21, 20);
INSERT INTO res_groups_users_rel (gid, uid) VALUES (20, 6), (1, 6), (21, 7), (1, 7);
INSERT INTO ir_model (id, model, name) VALUES (20, 'sale.order', 'Sales Order');
INSERT INTO ir_model_fields (model, name, ttype, relation) VALUES
    ('sale.order', 'message_partner_ids', 'many2many', 'res.partner');
INSERT INTO ir_model_access (name, model_id, group_id, perm_read) VALUES
    ('sale.order salesman', 20, 20, true), ('sale.order portal', 20, 10, true);
INSERT INTO ir_rule (id, name, model_id, domain_force, perm_read, "global") VALUES
    (20, 'Sales Order multi-company', 20, '[''|'',(''company_id'',''='',False),(''company_id'', ''in'', company_ids)]', true, true),
    (21, 'Personal Orders', 20, '[''|'',(''user_id'',''='',user.id),(''user_id'',''='',False)]', true, false),
    (22, 'All Orders', 20, '[(1,''='',1)]', true, false),
    (23, 'Portal Personal Quotations/Sales Orders', 20,
         '[(''message_partner_ids'',''child_of'',[user.commercial_partner_id.id])]', true, false),
    (24, 'Portal: orders of my company', 20,
         '[(''partner_id.commercial_partner_id'', ''='', user.commercial_partner_id.id)]', true, false);
INSERT INTO rule_group_rel (rule_group_id, group_id) VALUES (21, 20), (22, 21), (23, 10), (24, 10);
-- 1 Sally's, 2 unassigned, 3 Manny's, 4 Manny's in Chicago, 5 for Deco Addict's accountant
-- (Joel follows it), 6 for Deco Addict itself (nobody follows it), 7 archived, 8 for the
-- Chicago customer, whom Joel may not see, but Joel follows the order.
INSERT INTO sale_order (id, name, user_id, partner_id, company_id, active) VALUES
    (1, 'S00001', 6, 3, 1, true), (2, 'S00002', NULL, 3, 1, true), (3, 'S00003', 7, 3, 1, true),
    (4, 'S00004', 7, 6, 2, true), (5, 'S00005', 6, 22, 1, true), (6, 'S00006', 7, 5, 1, true),
    (7, 'S00007', 6, 3, 1, false), (8, 'S00008', 7, 6, 1, true);
INSERT INTO mail_followers (res_model, res_id, partner_id) VALUES
    ('sale.order', 5, 4), ('sale.order', 8, 4), ('sale.order', 1, 20), ('res.partner', 1, 4);
)sql";

struct fixture {
    lp::test::test_database db{"lp_access"};
    asio::io_context io;
    lp::orm::database_set databases{io.get_executor(), {db.name()}, db.settings(2)};

    fixture() { db.exec(sales_fixture); }

    lp::orm::model model(std::string name, caller who)
    {
        return lp::orm::model(*databases.find(db.name()), std::move(name), std::chrono::steady_clock::now() + 10s, {},
                              std::move(who));
    }

    /// The ids `who` finds with search(domain), or the error's message.
    std::string ids(std::string name, caller who, std::string_view domain = "[]")
    {
        try {
            return json::serialize(lp::test::run(io, model(std::move(name), std::move(who)).search(json::parse(domain))));
        }
        catch (lp::orm::access_denied const& e) {
            return std::string("AccessError: ") + e.what();
        }
    }

    std::string names(std::string name, caller who)
    {
        json::array const fields{"name"};
        auto rows = lp::test::run(io, model(std::move(name), std::move(who)).search_read(json::array{}, fields));
        std::string out;
        for (auto const& row : rows)
            out += (out.empty() ? "" : ", ") + std::string(row.at("name").as_string());
        return out;
    }

    /// What the server logs to stderr while `work` runs.
    template <class Work>
    std::string logged_during(Work work)
    {
        char path[] = "/tmp/lp-access-log.XXXXXX";
        int const file = mkstemp(path);
        std::fflush(stderr);
        int const saved = dup(2);
        dup2(file, 2);
        work();
        std::fflush(stderr);
        dup2(saved, 2);
        close(saved);
        close(file);
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        unlink(path);
        return text.str();
    }

    /// Odoo moving its cache signal, and the time it takes us to see it.
    void signal_and_wait(std::string const& sequence = "base_cache_signaling")
    {
        db.exec("SELECT nextval('" + sequence + "')");
        std::this_thread::sleep_for(lp::orm::access_rules::signaling_check_interval + 100ms);
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(access_rules, fixture)

BOOST_AUTO_TEST_CASE(model_access_needs_a_line_for_one_of_the_users_groups)
{
    // demo is an internal user: no sale.order line for Internal User.
    auto const denied = ids("sale.order", caller::user(3));
    BOOST_TEST(denied.starts_with("AccessError: You are not allowed to access 'Sales Order' (sale.order) records."));
    // Manny has no Salesman row: the line reaches him through All Documents' implication.
    BOOST_TEST(ids("sale.order", caller::user(7)) == "[1,2,3,4,5,6,8]");
    // A model without any access line is nobody's but the superuser's.
    BOOST_TEST(ids("ir.config_parameter", caller::user(2)).starts_with("AccessError: "));
    BOOST_TEST(ids("ir.config_parameter", caller::superuser()) == "[1,2,3]");
    // An unknown user is denied, not treated as anyone.
    BOOST_TEST(ids("res.partner", caller::user(99)) == "AccessError: user 99 does not exist");
}

BOOST_AUTO_TEST_CASE(group_rules_are_or_ed_and_anded_with_the_global_ones)
{
    // Salesman: own orders or unassigned ones (Personal Orders), in their company.
    BOOST_TEST(ids("sale.order", caller::user(6)) == "[1,2,5]");
    BOOST_TEST(lp::test::run(io, model("sale.order", caller::user(6)).search_count(json::array{})) == 3);
    // The caller's domain narrows what the rules let through; it never widens it.
    BOOST_TEST(ids("sale.order", caller::user(6), R"(["|", ["user_id", "=", 7], ["id", "=", 5]])") == "[5]");
    BOOST_TEST(ids("sale.order", caller::user(6), R"([["active", "=", false]])") == "[7]");
    // Manager: All Orders OR Personal Orders: everything, in both companies.
    BOOST_TEST(names("sale.order", caller::user(7)) == "S00001, S00002, S00003, S00004, S00005, S00006, S00008");
}

BOOST_AUTO_TEST_CASE(multi_company_follows_the_cids_cookie)
{
    BOOST_TEST(ids("sale.order", caller::user(7, std::vector<std::int64_t>{1})) == "[1,2,3,5,6,8]");
    BOOST_TEST(ids("sale.order", caller::user(7, std::vector<std::int64_t>{2})) == "[4]");
    BOOST_TEST(ids("sale.order", caller::user(7, std::vector<std::int64_t>{2, 1})) == "[1,2,3,4,5,6,8]");
    BOOST_TEST(ids("sale.order", caller::user(6, std::vector<std::int64_t>{2}))
               == "AccessError: Access to unauthorized or invalid companies.");
    // base's partner rule: company_id parent_of company_ids. demo (My Company only) does not see
    // the Chicago customer; admin, in both companies, does unless switched to My Company alone.
    BOOST_TEST(ids("res.partner", caller::user(3)) == "[1,2,3,4,5,7,8,20,21,22]");
    BOOST_TEST(ids("res.partner", caller::user(2)) == "[1,2,3,4,5,6,7,8,20,21,22]");
    BOOST_TEST(ids("res.partner", caller::user(2, std::vector<std::int64_t>{1})) == "[1,2,3,4,5,7,8,20,21,22]");
    // Chicago is a branch of My Company: switched to Chicago alone, admin still sees My
    // Company's partners (parent_of), and the partners of internal users everywhere.
    BOOST_TEST(ids("res.partner", caller::user(2, std::vector<std::int64_t>{2})) == "[1,2,3,4,5,6,7,8,20,21,22]");
    // res.users through a many2many: ('company_ids', 'in', company_ids) for shared users.
    BOOST_TEST(ids("res.users", caller::user(3)) == "[2,3,4,6,7]");
}

BOOST_AUTO_TEST_CASE(portal_users_see_their_commercial_partners_records)
{
    // base: child_of the commercial partner: Joel and Deco Addict, its accountant.
    BOOST_TEST(names("res.partner", caller::user(4)) == "Joel Willis, Deco Addict, Deco Addict, Accounting");
    // sale: orders Joel's company follows (5, 8), or whose customer belongs to his company (5,
    // 6); the archived and the other orders stay hidden.
    BOOST_TEST(ids("sale.order", caller::user(4)) == "[5,6,8]");
    // A field path in the caller's domain searches partners as the caller: Joel sees order 8 but
    // not its customer, so he cannot probe the customer's fields through it.
    BOOST_TEST(ids("sale.order", caller::superuser(), R"([["partner_id.name", "=", "Chicago Customer"]])") == "[4,8]");
    BOOST_TEST(ids("sale.order", caller::user(4), R"([["partner_id.name", "=", "Chicago Customer"]])") == "[]");
    BOOST_TEST(ids("sale.order", caller::user(4), R"([["partner_id.name", "=", "Deco Addict"]])") == "[6]");
    BOOST_TEST(ids("sale.order", caller::user(6), R"([["partner_id.name", "=", "Marc Demo"]])") == "[1,2]");
    BOOST_TEST(ids("res.partner", caller::user(4), R"([["parent_id.name", "=", "Deco Addict"]])") == "[4,22]");
    BOOST_TEST(ids("res.partner", caller::user(4), R"([["commercial_partner_id.email", "ilike", "yourcompany"]])") == "[]");
}

BOOST_AUTO_TEST_CASE(read_of_a_hidden_record_is_an_access_error)
{
    json::array const fields{"name"};
    auto rows = lp::test::run(io, model("sale.order", caller::user(6)).read(json::array{5, 1}, fields));
    BOOST_TEST(json::serialize(rows) == R"([{"id":5,"name":"S00005"},{"id":1,"name":"S00001"}])");
    BOOST_CHECK_EXCEPTION(lp::test::run(io, model("sale.order", caller::user(6)).read(json::array{1, 3}, fields)),
                          lp::orm::access_denied, [](lp::orm::access_denied const& e) {
                              return std::string(e.what()).starts_with("Due to security restrictions");
                          });
    // A record that does not exist stays a plain error.
    BOOST_CHECK_EXCEPTION(lp::test::run(io, model("sale.order", caller::user(6)).read(json::array{99}, fields)),
                          lp::orm::bad_argument, [](auto const& e) { return std::string(e.what()) == "sale.order.read: record 99 does not exist"; });
}

BOOST_AUTO_TEST_CASE(public_user_superuser_and_sudo)
{
    // base.public_user (ir_model_data) sees its own partner only.
    BOOST_TEST(ids("res.partner", caller::public_user()) == "[7]");
    BOOST_TEST(ids("sale.order", caller::public_user()).starts_with("AccessError: "));
    // uid 1 is the superuser; sudo() lifts rights and rules from any caller.
    BOOST_TEST(caller::user(1).is_superuser());
    BOOST_TEST(ids("sale.order", caller::user(1)) == "[1,2,3,4,5,6,8]");
    auto as_portal = model("sale.order", caller::user(4));
    BOOST_TEST(json::serialize(lp::test::run(io, as_portal.sudo().search(json::array{}))) == "[1,2,3,4,5,6,8]");
    BOOST_TEST(!as_portal.who().is_superuser());
    BOOST_TEST(as_portal.sudo().who().is_superuser());
}

BOOST_AUTO_TEST_CASE(a_request_asks_as_its_session_user_or_the_public_user)
{
    lp::services services;
    services.databases = &databases;
    // A public route without a session: Odoo's public user, on the only database served.
    lp::request anonymous("GET", "/x", {}, std::nullopt, 10s);
    anonymous.attach_services(&services);
    BOOST_TEST(json::serialize(lp::test::run(io, anonymous.model("res.partner").search(json::array{}))) == "[7]");
    // A session: its user, in the companies of the cids cookie.
    lp::request logged_in("GET", "/x", {}, std::string("sid"), 10s);
    logged_in.attach_services(&services);
    logged_in.attach_session({"sid", db.name(), 7, "manny", {}});
    logged_in.attach_companies(lp::parse_company_ids("2"));
    BOOST_TEST(json::serialize(lp::test::run(io, logged_in.model("sale.order").search(json::array{}))) == "[4]");
    BOOST_TEST(lp::parse_company_ids("1-2") == (std::vector<std::int64_t>{1, 2}));
    BOOST_TEST(lp::parse_company_ids("3,1") == (std::vector<std::int64_t>{3, 1}));
    BOOST_CHECK_THROW(lp::parse_company_ids("1,,2"), lp::bad_request);
    BOOST_CHECK_THROW(lp::parse_company_ids("-1"), lp::bad_request);
}

BOOST_AUTO_TEST_CASE(a_change_counts_once_odoo_signals_it)
{
    BOOST_TEST(ids("sale.order", caller::user(6)) == "[1,2,5]");
    // Odoo 12-16 bump base_cache_signaling when a rule is written; until then the cache holds.
    db.exec("UPDATE ir_rule SET active = false WHERE id = 21");
    BOOST_TEST(ids("sale.order", caller::user(6)) == "[1,2,5]");
    signal_and_wait();
    BOOST_TEST(ids("sale.order", caller::user(6)) == "[1,2,3,5,6,8]");
    // Group membership, through Odoo 17's per-cache sequences.
    db.exec("CREATE SEQUENCE base_cache_signaling_default; DELETE FROM res_groups_users_rel WHERE uid = 6 AND gid = 20");
    signal_and_wait("base_cache_signaling_default");
    BOOST_TEST(ids("sale.order", caller::user(6)).starts_with("AccessError: "));
    db.exec("INSERT INTO res_groups_users_rel (gid, uid) VALUES (21, 6)");
    signal_and_wait("base_registry_signaling");
    BOOST_TEST(ids("sale.order", caller::user(6)) == "[1,2,3,5,6,8]");
}

BOOST_AUTO_TEST_CASE(a_rule_nobody_understands_denies)
{
    // From Odoo's own modules, but outside the subset (a call): the global rule grants nothing.
    db.exec("INSERT INTO ir_rule (id, name, model_id, domain_force, perm_read, \"global\") VALUES (30, 'today only', 20,"
            " '[(''create_date'', ''>='', time.strftime(''%Y-%m-%d''))]', true, true); SELECT nextval('base_cache_signaling')");
    signal_and_wait();
    // Logged once, with its id and text, however often it denies, and for every user.
    auto const log = logged_during([&] {
        BOOST_TEST(ids("sale.order", caller::user(7)) == "[]");
        BOOST_TEST(ids("sale.order", caller::user(6)) == "[]");
        BOOST_TEST(ids("sale.order", caller::user(7), R"([["id", ">", 1]])") == "[]");
    });
    BOOST_TEST(log.find("ir.rule 30 is not understood, so it grants nothing") != std::string::npos);
    BOOST_TEST(log.find("time.strftime('%Y-%m-%d')") != std::string::npos);
    BOOST_TEST(log.find("ir.rule 30", log.find("ir.rule 30") + 1) == std::string::npos);
    // A group rule nobody understands grants nothing either, but leaves the other group rules.
    db.exec("UPDATE ir_rule SET domain_force = '[(''user_id'', ''='', user.employee_ids.id)]' WHERE id = 30;"
            "INSERT INTO rule_group_rel VALUES (30, 20)");
    signal_and_wait();
    BOOST_TEST(ids("sale.order", caller::user(6)) == "[1,2,5]");
    // A rule whose domain names a field the model lacks: denied, not a 400 for the caller.
    db.exec("UPDATE ir_rule SET domain_force = '[(''no_such_field'', ''='', 1)]' WHERE id = 30; DELETE FROM rule_group_rel "
            "WHERE rule_group_id = 30");
    signal_and_wait();
    BOOST_TEST(ids("sale.order", caller::user(7)) == "[]");
    BOOST_TEST(ids("sale.order", caller::superuser()) == "[1,2,3,4,5,6,8]");
}

BOOST_AUTO_TEST_SUITE_END()
