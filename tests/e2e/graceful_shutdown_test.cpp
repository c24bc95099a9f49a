// SIGINT/SIGTERM: waiting requests are answered, idle connections closed, exit status 0.
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <thread>

namespace json = boost::json;
using lp::test::http_connection;
using lp::test::server_process;

namespace {
/// Waits until exactly `n` handlers run (server started with --stats True): the stats route's
/// exact barrier instead of a guessed sleep.
void wait_handlers_running(server_process& server, std::int64_t n)
{
    auto const until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
        auto const r = lp::test::http_request(server.port(), "GET", "/openerplongpolling/stats");
        BOOST_REQUIRE_MESSAGE(r.status == 200, "stats: status " << r.status << ": " << r.body);
        auto const running = json::parse(r.body).at("handlers_running").as_int64();
        if (running == n)
            return;
        BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < until, running << " handlers running, not " << n);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

void check_graceful_shutdown(int signal_number)
{
    server_process server({"--examples", "True", "--stats", "True"});
    std::vector<http_connection> waiting;
    for (int i = 0; i < 20; ++i) {
        waiting.emplace_back(server.port());
        waiting.back().send("GET /openerplongpolling/countdown/30 HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    http_connection idle(server.port());
    BOOST_TEST(idle.request("GET", "/openerplongpolling/mainroute").status == 200u);
    wait_handlers_running(server, 20); // every request accepted and waiting before the signal
    BOOST_TEST(server.status_field("Threads") == 1);

    auto const signalled = std::chrono::steady_clock::now();
    kill(server.pid(), signal_number);
    for (auto& c : waiting) {
        auto r = c.read_response();
        BOOST_TEST(r.status == 408u);
        BOOST_TEST(r.header("connection") == "close");
        BOOST_TEST(json::parse(r.body).at("error").at("data").at("message").as_string() == "the server is shutting down");
    }
    BOOST_TEST(idle.closed_by_peer());
    auto status = server.process().wait_exit(std::chrono::seconds(10));
    BOOST_REQUIRE(status.has_value());
    BOOST_TEST(*status == 0);
    // "Within a second or two": far less than the 30 s the requests asked to wait.
    BOOST_TEST((std::chrono::steady_clock::now() - signalled < std::chrono::seconds(5)));
    BOOST_TEST(server.log().find("stopped") != std::string::npos);
}
} // namespace

BOOST_AUTO_TEST_SUITE(graceful_shutdown)

BOOST_AUTO_TEST_CASE(sigterm_answers_waiting_requests_and_exits_0) { check_graceful_shutdown(SIGTERM); }

BOOST_AUTO_TEST_CASE(sigint_answers_waiting_requests_and_exits_0) { check_graceful_shutdown(SIGINT); }

BOOST_AUTO_TEST_CASE(new_connections_are_refused_after_the_signal)
{
    server_process server({"--examples", "True", "--stats", "True"});
    http_connection waiting(server.port());
    waiting.send("GET /openerplongpolling/countdown/30 HTTP/1.1\r\nHost: x\r\n\r\n");
    wait_handlers_running(server, 1);
    kill(server.pid(), SIGTERM);
    BOOST_TEST(waiting.read_response().status == 408u);
    BOOST_REQUIRE(server.process().wait_exit(std::chrono::seconds(10)).has_value());
    BOOST_CHECK_THROW(http_connection late(server.port()), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
