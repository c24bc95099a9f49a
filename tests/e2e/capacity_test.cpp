// 1,000 simultaneous waiting requests, all served by one thread; freed at once when their
// clients leave.
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <functional>

namespace json = boost::json;
using lp::test::http_connection;
using lp::test::server_process;

BOOST_AUTO_TEST_SUITE(capacity)

BOOST_AUTO_TEST_CASE(one_thousand_parked_requests_on_one_thread)
{
    constexpr int clients = 1000;
    lp::test::raise_descriptor_limit();
    server_process server({"--examples", "True"});
    std::vector<http_connection> connections;
    connections.reserve(clients);
    for (int i = 0; i < clients; ++i) {
        connections.emplace_back(server.port());
        connections.back().send("GET /openerplongpolling/countdown/2 HTTP/1.1\r\nHost: x\r\n\r\n");
    }

    // While they wait: one thread, and a descriptor per client.
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    BOOST_TEST(server.status_field("Threads") == 1);
    auto const fds = std::distance(std::filesystem::directory_iterator("/proc/" + std::to_string(server.pid()) + "/fd"),
                                   std::filesystem::directory_iterator{});
    BOOST_TEST(fds >= clients);

    int answered = 0;
    for (auto& c : connections) {
        auto r = c.read_response();
        if (r.status == 200 && json::parse(r.body).at("seconds").as_int64() == 2)
            ++answered;
    }
    BOOST_TEST(answered == clients);
    BOOST_TEST(server.status_field("Threads") == 1);
}

namespace {
/// The stats route's figures, polled until `done` holds of them (an exact barrier), or fails
/// with them after `limit`.
json::value stats_once(std::uint16_t port, std::function<bool(json::value const&)> const& done,
                       std::chrono::steady_clock::duration limit, char const* what)
{
    auto const until = std::chrono::steady_clock::now() + limit;
    for (;;) {
        auto const r = lp::test::http_request(port, "GET", "/openerplongpolling/stats");
        BOOST_REQUIRE_MESSAGE(r.status == 200, "stats: status " << r.status << ": " << r.body);
        auto stats = json::parse(r.body);
        if (done(stats))
            return stats;
        BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < until, what << ": " << json::serialize(stats));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}
} // namespace

BOOST_AUTO_TEST_CASE(waiting_handlers_whose_clients_vanish_are_freed_at_once)
{
    // A framework route's wait (here the example countdown) used to run until its end or its
    // deadline when the client had gone.
    constexpr int clients = 1000;
    lp::test::raise_descriptor_limit();
    server_process server({"--examples", "True", "--stats", "True"});
    auto const port = server.port();
    {
        std::vector<http_connection> connections;
        connections.reserve(clients);
        for (int i = 0; i < clients; ++i) {
            connections.emplace_back(port);
            connections.back().send("GET /openerplongpolling/countdown/40 HTTP/1.1\r\nHost: x\r\n\r\n");
        }
        stats_once(
            port, [](json::value const& s) { return s.at("handlers_running").as_int64() == clients; },
            std::chrono::seconds(30), "not all handlers running");
    } // every client closes its connection
    auto const s = stats_once(
        port,
        [](json::value const& s) {
            return s.at("handlers_running").as_int64() == 0 && s.at("connections").as_int64() == 1;
        },
        std::chrono::seconds(2), "still held 2 s after the clients left");
    BOOST_TEST(s.at("handlers_running").as_int64() == 0);
    // Nothing was answered to them (no 408 at the deadline), and the server goes on serving.
    http_connection pipelined(port);
    pipelined.send("GET /openerplongpolling/countdown/0 HTTP/1.1\r\nHost: x\r\n\r\n"
                   "GET /openerplongpolling/countdown/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_TEST(pipelined.read_response().status == 200u);
    BOOST_TEST(pipelined.read_response().status == 200u);
    BOOST_TEST(server.status_field("Threads") == 1);
}

BOOST_AUTO_TEST_CASE(a_pipelined_request_is_not_a_departure)
{
    // Data behind a waiting request wakes the watch; it must leave the wait and the data alone.
    server_process server({"--examples", "True", "--stats", "True"});
    http_connection c(server.port());
    c.send("GET /openerplongpolling/countdown/1 HTTP/1.1\r\nHost: x\r\n\r\n");
    stats_once(
        server.port(), [](json::value const& s) { return s.at("handlers_running").as_int64() == 1; },
        std::chrono::seconds(30), "the first request is not waiting");
    c.send("GET /openerplongpolling/countdown/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    auto const first = c.read_response();
    BOOST_TEST(first.status == 200u);
    BOOST_TEST(json::parse(first.body).at("seconds").as_int64() == 1);
    auto const second = c.read_response();
    BOOST_TEST(second.status == 200u);
    BOOST_TEST(json::parse(second.body).at("seconds").as_int64() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
