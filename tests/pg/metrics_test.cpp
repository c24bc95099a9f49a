// GET /metrics on a real database: off by default, a scrape after a long-poll round trip
// counts what happened and passes `promtool check metrics`, limits hit and open WebSockets
// are counted, and the metrics_port serves it alone.
#include "tests/support/bus_client.hpp"
#include "tests/support/command.hpp"
#include "tests/support/odoo_server.hpp"
#include "tests/support/websocket_client.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <thread>

using lp::test::http_request;

namespace {
struct fixture : lp::test::odoo_server_fixture {
    fixture() : odoo_server_fixture("lp_metrics") {}
};

/// "name{labels} value" lines of a scrape, by "name{labels}".
std::map<std::string, double> samples_of(std::string const& text)
{
    std::map<std::string, double> samples;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line.front() == '#')
            continue;
        auto const space = line.rfind(' ');
        samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return samples;
}
} // namespace

BOOST_FIXTURE_TEST_SUITE(metrics, fixture)

BOOST_AUTO_TEST_CASE(off_unless_enabled)
{
    auto server = start();
    auto const off = http_request(server.port(), "GET", "/metrics");
    BOOST_TEST(off.status == 404u);
    BOOST_TEST(off.body.find("metrics = True") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_scrape_after_a_long_poll_counts_it_and_passes_promtool)
{
    auto server = start({"--metrics", "True", "--stats", "True"});
    auto poll = lp::test::start_poll(server.port(), lp::test::poll_body(R"(["metered"])", 0));
    lp::test::wait_parked(server.port(), db.name(), 1);
    lp::test::odoo15_send(db, "metered", R"({"type":"t","payload":1})");
    auto const answer = poll.read_response();
    BOOST_TEST(answer.status == 200u);
    BOOST_TEST(answer.body.find(R"("payload":1)") != std::string::npos);
    http_request(server.port(), "GET", "/nothing-here");

    auto const scrape = http_request(server.port(), "GET", "/metrics");
    BOOST_TEST(scrape.status == 200u);
    BOOST_TEST(scrape.headers.at("content-type") == "text/plain; version=0.0.4; charset=utf-8");
    auto const s = samples_of(scrape.body);
    auto const database = "{database=\"" + db.name() + "\"}";
    BOOST_TEST(s.at("lp_bus_polls_answered_total" + database) == 1);
    BOOST_TEST(s.at("lp_bus_polls_waiting" + database) == 0);
    BOOST_TEST(s.at("lp_bus_fetches_total" + database) >= 1);
    BOOST_TEST(s.at("lp_bus_notifications_delivered_total" + database) == 1);
    BOOST_TEST(s.at("lp_bus_polls_departed_total" + database) == 0);
    BOOST_TEST(s.at("lp_bus_rows_read_total") >= 1);
    BOOST_TEST(s.at("lp_bus_wakeups_total{listener=\"postgres\"}") >= 1);
    BOOST_TEST(s.at("lp_listener_reconnects_total{listener=\"postgres\"}") == 0);
    BOOST_TEST(s.at("lp_bus_fanout_duration_seconds_count") >= 1);
    BOOST_TEST(s.at("lp_bus_fanout_duration_seconds_bucket{le=\"+Inf\"}") == s.at("lp_bus_fanout_duration_seconds_count"));
    BOOST_TEST(s.at("lp_cursor_lease_duration_seconds_count") >= 2); // the poll's first read, the fetch
    BOOST_TEST(s.at("lp_cursors_open" + database) >= 1);
    BOOST_TEST(s.at("lp_cursors_waiting" + database) == 0);
    BOOST_TEST(s.at("lp_cursor_unavailable_total") == 0);
    BOOST_TEST(s.at("lp_http_responses_total{code=\"200\"}") >= 2); // the poll, the stats reads
    BOOST_TEST(s.at("lp_http_responses_total{code=\"404\"}") == 1);
    BOOST_TEST(s.at("lp_connections{transport=\"http\"}") >= 1); // this scrape
    BOOST_TEST(s.at("lp_handlers_running") == 1);                // this scrape's handler

    lp::test::temp_directory dir;
    auto const file = (dir.path() / "scrape.txt").string();
    std::ofstream(file) << scrape.body;
    BOOST_CHECK_NO_THROW(lp::test::command_output("promtool check metrics < " + file + " 2>&1"));
}

BOOST_AUTO_TEST_CASE(limits_hit_and_websocket_sessions)
{
    auto server = start({"--metrics", "True", "--examples", "True", "--body-limit", "4096", "--bus-max-channels", "2",
                         "--max-connections-per-ip", "3", "--websocket-max-message", "200"});
    auto const port = server.port();
    auto scrape = [&] {
        auto const answer = http_request(port, "GET", "/metrics");
        BOOST_TEST(answer.status == 200u);
        return answer.body;
    };
    auto const hit = [](std::string const& limit) { return "lp_limits_hit_total{limit=\"" + limit + "\"}"; };
    auto const echo = R"(lp_websocket_sessions{endpoint="echo",path="/openerplongpolling/ws/echo"})";

    // Before any hit every series is there, at 0, and no WebSocket is open.
    auto before = samples_of(scrape());
    for (auto const* limit : {"max_connections", "descriptors", "max_connections_per_ip", "http_header_limit", "http_body_limit",
                              "http_header_timeout", "http_body_timeout", "json_max_depth", "json_memory",
                              "bus_max_channels", "bus_max_channel_bytes", "write_rate_per_ip", "write_rate_per_pos",
                              "presence_rate", "websocket_max_message", "websocket_max_queued"})
        BOOST_TEST(before.at(hit(limit)) == 0, limit);
    BOOST_TEST(before.at(echo) == 0);
    BOOST_TEST(before.at(R"(lp_connections{transport="websocket"})") == 0);

    auto json = "Content-Type: application/json\r\n";
    // The error's status: a JSON-RPC call's comes with HTTP 200, in error.data.http_status
    // (Odoo's shape); a body that is no JSON-RPC call gets it in the status line.
    auto const rpc_error_status = [](lp::test::http_response const& r) -> std::int64_t {
        if (r.status != 200)
            return r.status;
        auto const body = boost::json::parse(r.body);
        auto const* error = body.as_object().if_contains("error");
        return error ? error->at("data").at("http_status").as_int64() : 200;
    };
    BOOST_TEST(rpc_error_status(http_request(port, "POST", "/longpolling/poll", lp::test::poll_body(R"(["a","b","c"])", 0), json))
               == 400);
    BOOST_TEST(http_request(port, "POST", "/longpolling/poll", std::string(5000, ' '), json).status == 413u);
    BOOST_TEST(http_request(port, "GET", "/longpolling/health", "", "X-Padding: " + std::string(9000, 'y') + "\r\n").status
               == 431u);
    auto const deep = R"({"jsonrpc":"2.0","params":)" + std::string(40, '[') + std::string(40, ']') + "}";
    BOOST_TEST(rpc_error_status(http_request(port, "POST", "/longpolling/poll", deep, json)) == 400);
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // the connections above are gone
    {
        std::vector<lp::test::http_connection> three;
        for (int i = 0; i < 3; ++i) {
            three.emplace_back(port);
            BOOST_TEST(three.back().request("GET", "/longpolling/health").status == 200u);
        }
        BOOST_TEST(http_request(port, "GET", "/longpolling/health").status == 429u);
    }
    {
        lp::test::websocket_client too_big(port);
        too_big.send_text(std::string(300, 'x'));
        auto const closing = too_big.read_frame();
        BOOST_REQUIRE(closing.has_value());
        BOOST_TEST(closing->close_code() == lp::ws::close_code::message_too_big);
    } // gone: its session ends when the server sees the socket close
    lp::test::websocket_client open(port);
    open.send_text("still here");
    BOOST_TEST(open.read_frame().has_value()); // the echo: the session is open

    // The connections above end as the server sees them close: a scrape may come too early.
    std::map<std::string, double> after;
    for (int attempt = 0; attempt < 50; ++attempt) {
        auto const answer = http_request(port, "GET", "/metrics");
        if (answer.status == 200u && (after = samples_of(answer.body)).at(echo) == 1)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    BOOST_REQUIRE(!after.empty());
    BOOST_TEST(after.at(hit("bus_max_channels")) == 1);
    BOOST_TEST(after.at(hit("http_body_limit")) == 1);
    BOOST_TEST(after.at(hit("http_header_limit")) == 1);
    BOOST_TEST(after.at(hit("json_max_depth")) == 1);
    BOOST_TEST(after.at(hit("max_connections_per_ip")) == 1);
    BOOST_TEST(after.at(hit("websocket_max_message")) == 1);
    BOOST_TEST(after.at(hit("write_rate_per_ip")) == 0);
    BOOST_TEST(after.at(echo) == 1);
    BOOST_TEST(after.at(R"(lp_connections{transport="websocket"})") == 1);

    lp::test::temp_directory dir;
    auto const file = (dir.path() / "scrape.txt").string();
    std::ofstream(file) << scrape();
    BOOST_CHECK_NO_THROW(lp::test::command_output("promtool check metrics < " + file + " 2>&1"));
}

BOOST_AUTO_TEST_CASE(the_metrics_port_serves_metrics_alone)
{
    auto const metrics_port = lp::test::free_local_port();
    auto server = start({"--metrics-port", std::to_string(metrics_port), "--stats", "True"});
    BOOST_TEST(http_request(server.port(), "GET", "/metrics").status == 404u);
    auto const scrape = http_request(metrics_port, "GET", "/metrics");
    BOOST_TEST(scrape.status == 200u);
    BOOST_TEST(scrape.body.find("# TYPE lp_bus_polls_waiting gauge") != std::string::npos);
    BOOST_TEST(http_request(metrics_port, "GET", "/openerplongpolling/stats").status == 404u);
    BOOST_TEST(http_request(metrics_port, "POST", "/longpolling/poll", lp::test::poll_body("[]", 0),
                            "Content-Type: application/json\r\n").status == 404u);
}

BOOST_AUTO_TEST_SUITE_END()
