// 1,000 simultaneous waiting requests, all served by one thread.
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>

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

BOOST_AUTO_TEST_SUITE_END()
