// pg::connection against the real PostgreSQL: connect, query, errors with SQLSTATE.
#include "orm_bridge/pg_connection.hpp"
#include "tests/support/pg_database.hpp"

#include <boost/test/unit_test.hpp>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using lp::orm::pg::connection;
using lp::orm::pg::errc;

namespace {
struct fixture {
    lp::test::test_database db{"lp_connection"};
    asio::io_context io;

    lp::orm::pg::connection_parameters parameters() const
    {
        return lp::orm::connection_parameters_for(db.settings(), db.name(), "longpolling-server:test");
    }
};

asio::awaitable<std::string> select_login(connection& c, std::string id)
{
    lp::orm::pg::parameters params{id};
    auto r = co_await c.query("SELECT login FROM res_users WHERE id = $1", std::move(params), connection::clock::now() + 5s);
    co_return std::string(r.value(0, 0));
}
} // namespace

BOOST_FIXTURE_TEST_SUITE(pg_connection, fixture)

BOOST_AUTO_TEST_CASE(connects_over_the_socket_and_runs_parameterised_queries)
{
    lp::orm::pg::connection c(io.get_executor());
    lp::test::run(io, c.connect(parameters(), connection::clock::now() + 10s));
    BOOST_TEST(c.ok());
    BOOST_TEST(c.backend_pid() > 0);
    BOOST_TEST(lp::test::run(io, select_login(c, "2")) == "admin");
    // A hostile value is only ever a parameter.
    BOOST_CHECK_THROW(lp::test::run(io, select_login(c, "2; DROP TABLE res_users")), lp::orm::pg::error);
    BOOST_TEST(db.exec("SELECT count(*) FROM res_users") == "5");
}

BOOST_AUTO_TEST_CASE(errors_carry_the_sqlstate_and_leave_the_connection_usable)
{
    lp::orm::pg::connection c(io.get_executor());
    lp::test::run(io, c.connect(parameters(), connection::clock::now() + 10s));
    try {
        lp::test::run(io, c.query("SELECT * FROM no_such_table", {}, connection::clock::now() + 5s));
        BOOST_FAIL("the query should fail");
    }
    catch (lp::orm::pg::error const& e) {
        BOOST_TEST(e.sqlstate() == "42P01");
        BOOST_TEST(e.code() == lp::orm::pg::make_error_code(errc::query_failed));
        BOOST_TEST(!e.connection_unusable());
        BOOST_TEST(std::string(e.what()).find("no_such_table") != std::string::npos);
    }
    BOOST_TEST(lp::test::run(io, select_login(c, "3")) == "demo");
}

BOOST_AUTO_TEST_CASE(session_defaults_are_read_only_with_a_statement_timeout)
{
    lp::orm::pg::connection c(io.get_executor());
    lp::test::run(io, c.connect(parameters(), connection::clock::now() + 10s));
    auto r = lp::test::run(io, c.query("SHOW default_transaction_read_only", {}, connection::clock::now() + 5s));
    BOOST_TEST(r.value(0, 0) == "on");
    auto app = lp::test::run(io, c.query("SHOW application_name", {}, connection::clock::now() + 5s));
    BOOST_TEST(app.value(0, 0) == "longpolling-server:test");
}

BOOST_AUTO_TEST_CASE(an_unreachable_server_is_a_connection_error)
{
    auto settings = db.settings();
    settings.port = "1"; // nothing listens there
    lp::orm::pg::connection c(io.get_executor());
    try {
        lp::test::run(io, c.connect(lp::orm::connection_parameters_for(settings, db.name(), "x"),
                                    connection::clock::now() + 10s));
        BOOST_FAIL("connect should fail");
    }
    catch (lp::orm::pg::error const& e) {
        BOOST_TEST(e.code() == lp::orm::pg::make_error_code(errc::connection_failed));
        BOOST_TEST(e.connection_unusable());
    }
}

BOOST_AUTO_TEST_CASE(host_names_are_refused_rather_than_resolved_on_the_loop)
{
    auto settings = db.settings();
    settings.host = "db.example.com";
    BOOST_CHECK_THROW(lp::orm::connection_parameters_for(settings, db.name(), "x"), std::invalid_argument);
    settings.host = "127.0.0.1";
    auto p = lp::orm::connection_parameters_for(settings, db.name(), "x");
    BOOST_TEST(p.front().first == "hostaddr");
}

BOOST_AUTO_TEST_CASE(a_client_deadline_stops_a_slow_statement_and_the_connection_is_unusable)
{
    lp::orm::pg::connection c(io.get_executor());
    lp::test::run(io, c.connect(parameters(), connection::clock::now() + 10s));
    try {
        lp::test::run(io, c.query("SELECT pg_sleep(5)", {}, connection::clock::now() + 200ms));
        BOOST_FAIL("the query should time out");
    }
    catch (lp::orm::pg::error const& e) {
        BOOST_TEST(e.code() == lp::orm::pg::make_error_code(errc::timeout));
        BOOST_TEST(e.connection_unusable());
    }
    BOOST_TEST(c.transaction_status() == PQTRANS_ACTIVE);
}

BOOST_AUTO_TEST_CASE(notifications_arrive_on_a_listening_connection)
{
    lp::orm::pg::connection c(io.get_executor());
    lp::test::run(io, c.connect(parameters(), connection::clock::now() + 10s));
    lp::test::run(io, c.execute("LISTEN imbus", connection::clock::now() + 5s));
    db.exec("NOTIFY imbus, '[\"demo\"]'");
    lp::test::run(io, c.wait_for_input(connection::clock::now() + 5s));
    auto n = c.take_notification();
    BOOST_REQUIRE(n.has_value());
    BOOST_TEST(n->channel == "imbus");
    BOOST_TEST(n->payload == "[\"demo\"]");
    BOOST_TEST(!c.take_notification().has_value());
}

BOOST_AUTO_TEST_SUITE_END()
