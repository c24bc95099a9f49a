// The built server on a real database: Odoo sessions, models over HTTP, the cursor bound
// under load, and no transaction left open.
#include "tests/support/http_client.hpp"
#include "tests/support/odoo_server.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace json = boost::json;
using lp::test::http_connection;
using lp::test::http_request;

namespace {
struct fixture : lp::test::odoo_server_fixture {
    fixture() : odoo_server_fixture("lp_server") {}
    std::string admin_sid = admin_session();

    lp::test::server_process start(std::string const& max_cursor = "2")
    {
        return odoo_server_fixture::start({"--examples", "True", "--max-cursor", max_cursor});
    }
};
} // namespace

BOOST_FIXTURE_TEST_SUITE(server_with_database, fixture)

BOOST_AUTO_TEST_CASE(sessions_from_cookie_query_or_jsonrpc)
{
    auto server = start();
    auto by_cookie = http_request(server.port(), "GET", "/openerplongpolling/partner_of_user", "",
                                  "Cookie: session_id=" + admin_sid + "\r\n");
    BOOST_TEST(by_cookie.status == 200u);
    BOOST_TEST(by_cookie.body == R"([{"id":2,"login":"admin","partner_id":[2,"Administrator"]}])");
    auto by_query = http_request(server.port(), "GET", "/openerplongpolling/whoami?session_id=" + admin_sid);
    BOOST_TEST(json::parse(by_query.body).at("uid").as_int64() == 2);
    auto by_rpc = http_request(server.port(), "POST", "/openerplongpolling/whoami",
                               R"({"jsonrpc":"2.0","method":"call","params":{"session_id":")" + admin_sid + R"("},"id":1})",
                               "Content-Type: application/json\r\n");
    BOOST_TEST(json::parse(by_rpc.body).at("result").at("db").as_string() == db.name());

    auto forged = make_session("--uid 2 --login admin --password admin --secret wrong");
    auto refused = http_request(server.port(), "GET", "/openerplongpolling/whoami", "", "Cookie: session_id=" + forged + "\r\n");
    BOOST_TEST(refused.status == 401u);
    BOOST_TEST(json::parse(refused.body).at("error").at("code").as_int64() == 100);
    // The same through JSON-RPC, as Odoo's web client calls: HTTP 200, code 100.
    auto refused_rpc = http_request(server.port(), "POST", "/openerplongpolling/whoami",
                                    R"({"jsonrpc":"2.0","method":"call","params":{},"id":5})",
                                    "Content-Type: application/json\r\nCookie: session_id=" + forged + "\r\n");
    BOOST_TEST(refused_rpc.status == 200u);
    BOOST_TEST(json::parse(refused_rpc.body).at("error").at("code").as_int64() == 100);
    BOOST_TEST(json::parse(refused_rpc.body).at("error").at("message").as_string() == "Odoo Session Expired");
}

BOOST_AUTO_TEST_CASE(domains_over_http_and_their_errors)
{
    auto server = start();
    auto const cookie = "Cookie: session_id=" + admin_sid + "\r\n";
    auto found = http_request(server.port(), "POST", "/openerplongpolling/partners",
                              R"({"jsonrpc":"2.0","params":{"domain":[["name","ilike","demo"]]},"id":1})",
                              cookie + "Content-Type: application/json\r\n");
    BOOST_TEST(json::serialize(json::parse(found.body).at("result"))
               == R"([{"id":3,"name":"Marc Demo","email":"mark.brown23@example.com"}])");
    auto bad = http_request(server.port(), "POST", "/openerplongpolling/partners",
                            R"({"jsonrpc":"2.0","params":{"domain":[["nope","=",1]]},"id":2})",
                            cookie + "Content-Type: application/json\r\n");
    BOOST_TEST(bad.status == 200u); // JSON-RPC: the error travels in the body, as Odoo's
    BOOST_TEST(json::parse(bad.body).at("error").at("data").at("http_status").as_int64() == 400);
    BOOST_TEST(json::parse(bad.body).at("error").at("data").at("message").as_string()
               == "domain: unknown field 'nope' on res.partner");
}

BOOST_AUTO_TEST_CASE(each_user_sees_what_odoos_rules_allow)
{
    auto server = start();
    auto partners = [&](std::string const& sid, std::string const& extra_cookie = "") {
        auto reply = http_request(server.port(), "GET", "/openerplongpolling/partners?data=%7B%22order%22%3A%22id%22%7D", "",
                                  "Cookie: session_id=" + sid + extra_cookie + "\r\n");
        if (reply.status != 200)
            return std::to_string(reply.status) + " " + reply.body;
        std::string names;
        auto const rows = json::parse(reply.body);
        for (auto const& row : rows.as_array())
            names += (names.empty() ? "" : ", ") + std::string(row.at("name").as_string());
        return names;
    };
    // Admin works in both companies; demo in My Company only: the Chicago customer is hidden.
    BOOST_TEST(partners(admin_sid) == "My Company, Administrator, Marc Demo, Joel Willis, Deco Addict, Chicago Customer, "
                                      "Public user, My Company (Chicago)");
    BOOST_TEST(partners(admin_sid, "; cids=1") == "My Company, Administrator, Marc Demo, Joel Willis, Deco Addict, "
                                                  "Public user, My Company (Chicago)");
    auto demo = make_session("--uid 3 --login demo --password demo --secret " + std::string(lp::test::demo_secret));
    BOOST_TEST(partners(demo) == "My Company, Administrator, Marc Demo, Joel Willis, Deco Addict, Public user, "
                                 "My Company (Chicago)");
    // The portal user sees his own company's contacts only.
    auto portal = make_session("--uid 4 --login portal --password portal --secret " + std::string(lp::test::demo_secret));
    BOOST_TEST(partners(portal) == "Joel Willis, Deco Addict");
    // A company the user does not belong to is refused, in Odoo's words, as JSON-RPC's error.
    BOOST_TEST(partners(demo, "; cids=2").starts_with("403 "));
    auto refused = http_request(server.port(), "POST", "/openerplongpolling/partners", R"({"jsonrpc":"2.0","params":{},"id":3})",
                                "Cookie: session_id=" + demo + "; cids=1-2\r\nContent-Type: application/json\r\n");
    auto const error = json::parse(refused.body).at("error");
    BOOST_TEST(error.at("data").at("name").as_string() == "odoo.exceptions.AccessError");
    BOOST_TEST(error.at("data").at("message").as_string() == "Access to unauthorized or invalid companies.");
    auto malformed = http_request(server.port(), "GET", "/openerplongpolling/partners", "",
                                  "Cookie: session_id=" + demo + "; cids=1;2\r\n");
    BOOST_TEST(malformed.status == 200u); // "1" then a cookie named "2": cids=1
    auto bad = http_request(server.port(), "GET", "/openerplongpolling/partners", "", "Cookie: session_id=" + demo + "; cids=a\r\n");
    BOOST_TEST(bad.status == 400u);
}

BOOST_AUTO_TEST_CASE(two_hundred_concurrent_requests_on_two_cursors)
{
    lp::test::raise_descriptor_limit();
    auto server = start("2");
    std::vector<http_connection> clients;
    for (int i = 0; i < 200; ++i) {
        clients.emplace_back(server.port());
        clients.back().send("GET /openerplongpolling/partner_of_user HTTP/1.1\r\nHost: x\r\nCookie: session_id=" + admin_sid
                            + "\r\n\r\n");
    }
    int ok = 0;
    for (auto& c : clients)
        ok += c.read_response().status == 200 ? 1 : 0;
    BOOST_TEST(ok == 200);
    BOOST_TEST(db.server_connections() <= 2);
    BOOST_TEST(db.server_connections("idle in transaction") == 0);
    BOOST_TEST(server.status_field("Threads") == 1);
}

BOOST_AUTO_TEST_CASE(requests_fail_with_503_while_postgresql_is_down_then_recover)
{
    auto server = start();
    auto const cookie = "Cookie: session_id=" + admin_sid + "\r\n";
    BOOST_TEST(http_request(server.port(), "GET", "/openerplongpolling/partner_of_user", "", cookie).status == 200u);

    auto const pg = lp::test::env_or_fail("LP_TEST_PG_SCRIPT") + " ";
    auto const dir = lp::test::env_or_fail("LP_TEST_PG_DIR");
    BOOST_REQUIRE(std::system((pg + "stop " + dir + " > /dev/null").c_str()) == 0);
    auto down = http_request(server.port(), "GET", "/openerplongpolling/partner_of_user", "", cookie);
    BOOST_TEST(down.status == 503u);
    BOOST_TEST(down.header("retry-after") != "");
    BOOST_REQUIRE(std::system((pg + "start " + dir + " > /dev/null").c_str()) == 0);

    auto back = http_request(server.port(), "GET", "/openerplongpolling/partner_of_user", "", cookie);
    BOOST_TEST(back.status == 200u);
    BOOST_TEST(db.server_connections() <= 2);
}

BOOST_AUTO_TEST_SUITE_END()
