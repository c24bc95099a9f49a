// The bus under hostile clients, on a real database: channels per poll and their length,
// memory of many huge polls, rate limits of the routes that write (429 + Retry-After), and
// odd numbers in options.bus_inactivity.
#include "tests/support/http_client.hpp"
#include "tests/support/odoo_server.hpp"
#include "tests/support/raw_exchange.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <thread>

namespace json = boost::json;
using lp::test::http_connection;
using lp::test::http_request;

namespace {
struct fixture : lp::test::odoo_server_fixture {
    fixture() : odoo_server_fixture("lp_limits") {}

    static std::string poll_body(std::string const& channels, std::string const& options = "{}")
    {
        return R"({"jsonrpc":"2.0","method":"call","params":{"channels":)" + channels + R"(,"last":0,"options":)"
             + options + R"(},"id":1})";
    }
    static lp::test::http_response poll(std::uint16_t port, std::string const& body, std::string const& cookie = "")
    {
        return http_request(port, "POST", "/longpolling/poll", body, cookie + "Content-Type: application/json\r\n");
    }
    /// `n` channels "c0", "c1"... as a JSON list.
    static std::string channels(std::size_t n, std::size_t length = 0)
    {
        std::string list = "[";
        for (std::size_t i = 0; i < n; ++i) {
            auto name = "c" + std::to_string(i);
            name.resize(std::max(length, name.size()), 'x');
            list += (i ? ",\"" : "\"") + name + "\"";
        }
        return list + "]";
    }
    /// The error's status: a JSON-RPC call's errors come with HTTP 200, the status in
    /// error.data.http_status (Odoo's shape); other answers carry it in the status line.
    static unsigned status_of(lp::test::http_response const& r)
    {
        if (r.status != 200)
            return r.status;
        auto const body = json::parse(r.body).as_object();
        auto const* error = body.if_contains("error");
        return error ? static_cast<unsigned>(error->at("data").at("http_status").as_int64()) : 200u;
    }
    static std::string message_of(lp::test::http_response const& r)
    {
        return std::string(json::parse(r.body).at("error").at("data").at("message").as_string());
    }
};
} // namespace

BOOST_FIXTURE_TEST_SUITE(bus_limits, fixture)

BOOST_AUTO_TEST_CASE(channels_per_poll_and_their_length_are_bounded)
{
    auto server = start({"--bus-timeout", "1", "--bus-max-channels", "1000", "--bus-max-channel-bytes", "100"});
    auto const most = poll(server.port(), poll_body(channels(1000)));
    BOOST_TEST(status_of(most) == 200u, most.body);
    auto const over = poll(server.port(), poll_body(channels(1001)));
    BOOST_TEST(status_of(over) == 400u);
    BOOST_TEST(message_of(over).find("bus_max_channels") != std::string::npos, over.body);
    auto const longest = poll(server.port(), poll_body(channels(1, 100)));
    BOOST_TEST(status_of(longest) == 200u, longest.body);
    auto const too_long = poll(server.port(), poll_body(channels(1, 101)));
    BOOST_TEST(status_of(too_long) == 400u);
    BOOST_TEST(message_of(too_long).find("bus_max_channel_bytes") != std::string::npos, too_long.body);
}

BOOST_AUTO_TEST_CASE(ten_polls_of_100000_channels_cost_little_memory)
{
    // The issue's case: 10 polls each listing 100,000 channels (10 MB sent) grew the server by
    // 400 MB. Now each costs at most ~4x its size (VmHWM from before them).
    if (lp::test::sanitized) {
        BOOST_TEST_MESSAGE("not measured under AddressSanitizer");
        return;
    }
    auto server = start();
    auto const body = poll_body(channels(100'000));
    BOOST_REQUIRE(body.size() < 1024 * 1024);
    auto const request = "POST /longpolling/poll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                       + std::to_string(body.size()) + "\r\n\r\n" + body;
    auto const before = server.status_field("VmRSS") * 1024;
    std::ofstream("/proc/" + std::to_string(server.pid()) + "/clear_refs") << "5"; // peak RSS := RSS
    std::vector<http_connection> polls;
    for (int i = 0; i < 10; ++i) {
        polls.emplace_back(server.port());
        polls.back().send(request);
    }
    for (auto& p : polls) {
        auto const r = p.read_response();
        BOOST_TEST((status_of(r) == 400u || status_of(r) == 413u), r.status << " " << r.body.substr(0, 200));
    }
    auto const growth = server.status_field("VmHWM") * 1024 - before;
    BOOST_TEST(growth <= static_cast<long>(4 * 10 * request.size()),
               "10 polls of " << request.size() << " bytes: peak RSS grew by " << growth);
    BOOST_TEST(http_request(server.port(), "GET", "/longpolling/health").status == 200u);
}

BOOST_AUTO_TEST_CASE(pos_updates_are_limited_per_pos_and_per_address)
{
    auto server = start({"--write-rate-per-pos", "3", "--write-rate-per-ip", "5"});
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(status_of(ping(server.port(), 1)) == 200u);
    auto const pos_full = ping(server.port(), 1);
    BOOST_TEST(status_of(pos_full) == 429u);
    BOOST_TEST(std::stoi(pos_full.header("retry-after")) >= 1);
    BOOST_TEST(message_of(pos_full).find("write_rate_per_pos") != std::string::npos, pos_full.body);
    // Another POS from the same address: the address's 5 a minute were 4 taken (the refused
    // one counted for the address), so one more passes.
    BOOST_TEST(status_of(ping(server.port(), 2)) == 200u);
    auto const address_full = ping(server.port(), 2);
    BOOST_TEST(status_of(address_full) == 429u);
    BOOST_TEST(message_of(address_full).find("write_rate_per_ip") != std::string::npos, address_full.body);
    // What was refused wrote nothing: three PONGs for POS 1, one for POS 2.
    BOOST_TEST(db.exec("SELECT count(*) FROM bus_bus WHERE message LIKE '%PONG%'") == "4");
}

BOOST_AUTO_TEST_CASE(send_is_limited_per_address)
{
    auto server = start({"--bus-allow-send", "True", "--write-rate-per-ip", "2"});
    auto const send = [&] {
        return http_request(server.port(), "POST", "/longpolling/send",
                            R"({"jsonrpc":"2.0","method":"call","params":{"channel":"x","message":"m"},"id":1})",
                            "Content-Type: application/json\r\n");
    };
    BOOST_TEST(status_of(send()) == 200u);
    BOOST_TEST(status_of(send()) == 200u);
    auto const refused = send();
    BOOST_TEST(status_of(refused) == 429u);
    BOOST_TEST(!refused.header("retry-after").empty());
}

BOOST_AUTO_TEST_CASE(odd_bus_inactivity_values_are_clamped_not_500)
{
    auto server = start({"--bus-timeout", "1"});
    auto const cookie = "Cookie: session_id=" + admin_session() + "\r\n";
    for (std::string value : {"1.5", "1e400", "18446744073709551616", "-5", "1e300"}) {
        auto const r = poll(server.port(), poll_body("[]", R"({"bus_inactivity":)" + value + "}"), cookie);
        BOOST_TEST((status_of(r) == 200u || status_of(r) == 400u), value << ": " << r.status << " " << r.body);
        if (status_of(r) == 400u)
            BOOST_TEST(message_of(r).find("JSON") != std::string::npos, value << ": " << r.body); // not a number JSON has
    }
    BOOST_TEST(server.log().find("ERROR") == std::string::npos, server.log());
    BOOST_TEST(db.exec("SELECT count(*) FROM bus_presence WHERE user_id = 2") == "1");
}

BOOST_AUTO_TEST_CASE(presence_writes_are_limited_per_user)
{
    auto server = start({"--bus-timeout", "1", "--write-rate-per-ip", "2"});
    auto const cookie = "Cookie: session_id=" + admin_session() + "\r\n";
    auto const body = poll_body("[]", R"({"bus_inactivity":0})");
    auto const last_poll_year = [&] {
        return db.exec("SELECT COALESCE(extract(year FROM max(last_poll))::int, 0) FROM bus_presence WHERE user_id = 2");
    };
    for (int i = 0; i < 2; ++i)
        BOOST_TEST(status_of(poll(server.port(), body, cookie)) == 200u);
    BOOST_TEST(last_poll_year() != "2000");
    db.exec("UPDATE bus_presence SET last_poll = '2000-01-01' WHERE user_id = 2");
    // The third poll within the minute is served, without a presence write.
    BOOST_TEST(status_of(poll(server.port(), body, cookie)) == 200u);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    BOOST_TEST(last_poll_year() == "2000");
}

BOOST_AUTO_TEST_CASE(update_bus_presence_shares_the_poll_presence_limit)
{
    auto server = start({"--bus-timeout", "1", "--write-rate-per-ip", "2", "--odoo-version", "17", "--metrics", "True"});
    auto const cookie = "Cookie: session_id=" + admin_session() + "\r\n";
    auto const rpc = [&](std::string const& path, std::string const& params) {
        return http_request(server.port(), "POST", path, R"({"jsonrpc":"2.0","method":"call","params":)" + params + R"(,"id":1})",
                            cookie + "Content-Type: application/json\r\n");
    };
    auto const report_presence = [&] {
        return status_of(rpc("/websocket/update_bus_presence", R"({"inactivity_period":0,"im_status_ids_by_model":{}})"));
    };
    auto const presence_rate_hits = [&] {
        auto const body = http_request(server.port(), "GET", "/metrics").body;
        auto const at = body.find("lp_limits_hit_total{limit=\"presence_rate\"} ");
        BOOST_REQUIRE(at != std::string::npos);
        return body.substr(at, body.find('\n', at) - at);
    };
    BOOST_TEST(status_of(rpc("/websocket/peek_notifications", R"({"channels":[],"last":0,"is_first_poll":true})")) == 200u);
    // One poll and one report take the user's two writes of the minute...
    BOOST_TEST(status_of(poll(server.port(), poll_body("[]", R"({"bus_inactivity":0})"), cookie)) == 200u);
    BOOST_TEST(report_presence() == 200u);
    db.exec("UPDATE bus_presence SET last_poll = '2000-01-01' WHERE user_id = 2");
    // ...so the next report is answered without a write, and counted as the poll's would be.
    BOOST_TEST(report_presence() == 200u);
    BOOST_TEST(db.exec("SELECT extract(year FROM last_poll)::int FROM bus_presence WHERE user_id = 2") == "2000");
    BOOST_TEST(presence_rate_hits() == "lp_limits_hit_total{limit=\"presence_rate\"} 1");
}

BOOST_AUTO_TEST_SUITE_END()
