// The cursor pool against the real PostgreSQL: the max_cursor bound, FIFO, read-only leases
// always rolled back, overload, and a PostgreSQL restart.
#include "orm_bridge/cursor_pool.hpp"
#include "orm_bridge/errors.hpp"
#include "tests/support/pg_database.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

struct fixture {
    lp::test::test_database db{"lp_pool"};
    asio::io_context io;

    lp::orm::pool_settings settings(unsigned max_size)
    {
        lp::orm::pool_settings s;
        s.database = db.name();
        s.connection = lp::orm::connection_parameters_for(db.settings(), db.name(), "longpolling-server:" + db.name());
        s.max_size = max_size;
        return s;
    }
};

/// One "request": lease a cursor, ask PostgreSQL how many pool connections exist right now.
asio::awaitable<void> count_connections(lp::orm::cursor_pool& pool, std::string app, std::vector<int>& seen,
                                        int& failures)
{
    try {
        auto c = co_await pool.acquire(clock_type::now() + 30s);
        lp::orm::pg::parameters params{app};
        auto r = co_await c.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", std::move(params));
        seen.push_back(std::stoi(std::string(r.value(0, 0))));
    }
    catch (std::exception const&) {
        ++failures;
    }
}

asio::awaitable<void> lease_in_order(lp::orm::cursor_pool& pool, int id, std::vector<int>& order)
{
    auto c = co_await pool.acquire(clock_type::now() + 30s);
    order.push_back(id);
    co_await c.query("SELECT pg_sleep(0.01)");
}

asio::awaitable<std::string> try_write(lp::orm::cursor_pool& pool, std::string sql)
{
    auto c = co_await pool.acquire(clock_type::now() + 10s);
    try {
        co_await c.query(sql);
    }
    catch (lp::orm::pg::error const& e) {
        co_return e.sqlstate();
    }
    co_return "written";
}

asio::awaitable<void> fail_inside_a_lease(lp::orm::cursor_pool& pool)
{
    auto c = co_await pool.acquire(clock_type::now() + 10s);
    co_await c.query("SELECT login FROM res_users");
    co_await c.query("SELECT 1/0"); // throws: the transaction is aborted, the lease still returns
}

asio::awaitable<std::string> one_login(lp::orm::cursor_pool& pool)
{
    auto c = co_await pool.acquire(clock_type::now() + 10s);
    auto r = co_await c.query("SELECT login FROM res_users WHERE id = 2");
    co_return std::string(r.value(0, 0));
}

asio::awaitable<void> settle(std::chrono::milliseconds d)
{
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(cursor_pool, fixture)

BOOST_AUTO_TEST_CASE(never_more_than_max_cursor_connections_under_200_requests)
{
    lp::orm::cursor_pool pool(io.get_executor(), settings(3));
    std::vector<int> seen;
    int failures = 0;
    for (int i = 0; i < 200; ++i)
        asio::co_spawn(io, count_connections(pool, "longpolling-server:" + db.name(), seen, failures), asio::detached);
    io.run();
    BOOST_TEST(failures == 0);
    BOOST_TEST(seen.size() == 200u);
    BOOST_TEST(*std::max_element(seen.begin(), seen.end()) <= 3);
    BOOST_TEST(pool.stats().open <= 3u);
    BOOST_TEST(pool.stats().leases == 200u);
}

BOOST_AUTO_TEST_CASE(waiters_are_served_in_fifo_order)
{
    lp::orm::cursor_pool pool(io.get_executor(), settings(1));
    std::vector<int> order;
    for (int i = 0; i < 20; ++i)
        asio::co_spawn(io, lease_in_order(pool, i, order), asio::detached);
    io.run();
    std::vector<int> expected(20);
    for (int i = 0; i < 20; ++i)
        expected[i] = i;
    BOOST_TEST(order == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_write_fails_and_writes_nothing)
{
    lp::orm::cursor_pool pool(io.get_executor(), settings(1));
    BOOST_TEST(lp::test::run(io, try_write(pool, "INSERT INTO res_partner (name) VALUES ('intruder')")) == "25006");
    BOOST_TEST(lp::test::run(io, try_write(pool, "UPDATE res_users SET login = 'x'")) == "25006");
    // Switching the lease to read-write is refused too.
    BOOST_TEST(lp::test::run(io, try_write(pool, "SET TRANSACTION READ WRITE")) == "25001");
    // Ending the transaction to write outside it is caught, and that connection is dropped.
    BOOST_TEST(lp::test::run(io, try_write(pool, "COMMIT")) == "");
    BOOST_TEST(pool.stats().dropped == 1u);
    BOOST_TEST(db.exec("SELECT count(*) FROM res_partner WHERE name = 'intruder'") == "0");
    BOOST_TEST(db.exec("SELECT login FROM res_users WHERE id = 2") == "admin");
}

BOOST_AUTO_TEST_CASE(no_connection_is_left_idle_in_transaction_after_errors)
{
    lp::orm::cursor_pool pool(io.get_executor(), settings(2));
    for (int i = 0; i < 5; ++i)
        BOOST_CHECK_THROW(lp::test::run(io, fail_inside_a_lease(pool)), lp::orm::pg::error);
    lp::test::run(io, settle(200ms));
    BOOST_TEST(db.server_connections("idle in transaction") == 0);
    BOOST_TEST(db.server_connections("idle in transaction (aborted)") == 0);
    // The connections were rolled back and reused, not dropped.
    BOOST_TEST(pool.stats().dropped == 0u);
    BOOST_TEST(lp::test::run(io, one_login(pool)) == "admin");
}

BOOST_AUTO_TEST_CASE(a_full_queue_fails_fast_with_503)
{
    auto s = settings(1);
    s.max_waiting = 5;
    lp::orm::cursor_pool pool(io.get_executor(), s);
    std::vector<int> order;
    int refused = 0;
    for (int i = 0; i < 10; ++i)
        asio::co_spawn(io, lease_in_order(pool, i, order), [&](std::exception_ptr e) {
            if (!e)
                return;
            try {
                std::rethrow_exception(e);
            }
            catch (lp::orm::unavailable const& u) {
                ++refused;
                BOOST_TEST(std::string(u.what()).find("requests are already waiting") != std::string::npos);
            }
        });
    io.run();
    BOOST_TEST(refused == 5);
    BOOST_TEST(order.size() == 5u);
}

BOOST_AUTO_TEST_CASE(a_database_that_cannot_be_reached_is_503_for_waiters)
{
    auto s = settings(2);
    s.connection = lp::orm::connection_parameters_for(db.settings(), "no_such_database", "longpolling-server:x");
    lp::orm::cursor_pool pool(io.get_executor(), s);
    try {
        lp::test::run(io, one_login(pool));
        BOOST_FAIL("acquire should fail");
    }
    catch (lp::orm::unavailable const& e) {
        BOOST_TEST(std::string(e.what()).find("is unavailable") != std::string::npos);
    }
    BOOST_TEST(pool.stats().open == 0u);
    BOOST_TEST(pool.stats().connect_failures == 1u);
}

BOOST_AUTO_TEST_CASE(survives_a_postgresql_restart)
{
    lp::orm::cursor_pool pool(io.get_executor(), settings(2));
    BOOST_TEST(lp::test::run(io, one_login(pool)) == "admin");
    BOOST_TEST(pool.stats().idle == 1u);

    // Restart the cluster: the idle connection dies with it.
    auto const restart = lp::test::env_or_fail("LP_TEST_PG_SCRIPT") + " restart " + lp::test::env_or_fail("LP_TEST_PG_DIR")
                       + " > /dev/null";
    BOOST_REQUIRE(std::system(restart.c_str()) == 0);

    // The dead idle connection is noticed and replaced: the next request succeeds.
    BOOST_TEST(lp::test::run(io, one_login(pool)) == "admin");
    BOOST_TEST(pool.stats().open <= 2u);
    BOOST_TEST(db.server_connections() == static_cast<int>(pool.stats().open));
}

BOOST_AUTO_TEST_CASE(a_statement_in_flight_during_a_restart_fails_as_unavailable)
{
    lp::orm::cursor_pool pool(io.get_executor(), settings(2));
    std::exception_ptr failure;
    asio::co_spawn(io, [](lp::orm::cursor_pool& p) -> asio::awaitable<void> {
        auto c = co_await p.acquire(clock_type::now() + 30s);
        co_await c.query("SELECT pg_sleep(10)");
    }(pool), [&](std::exception_ptr e) { failure = e; });
    // The restart runs beside the event loop, as an operator would do it.
    std::thread restart([] {
        std::this_thread::sleep_for(500ms);
        auto const command = lp::test::env_or_fail("LP_TEST_PG_SCRIPT") + " restart "
                           + lp::test::env_or_fail("LP_TEST_PG_DIR") + " > /dev/null";
        if (std::system(command.c_str()) != 0)
            std::abort();
    });
    io.run();
    restart.join();
    BOOST_REQUIRE(failure);
    try {
        std::rethrow_exception(failure);
    }
    catch (lp::orm::pg::error const& e) {
        BOOST_TEST(e.connection_unusable());
    }
    BOOST_TEST(pool.stats().open == 0u);
    BOOST_TEST(lp::test::run(io, one_login(pool)) == "admin");
    BOOST_TEST(db.server_connections() == 1);
}

BOOST_AUTO_TEST_SUITE_END()
