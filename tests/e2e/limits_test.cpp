// What one client may cost: connections per address (X-Forwarded-For only with proxy_mode),
// the connection cap that sheds the oldest idle connection, memory and CPU per request, and
// the edges (numbers, NUL in a path, example routes off by default).
#include "tests/support/http_client.hpp"
#include "tests/support/raw_exchange.hpp"
#include "tests/support/server_process.hpp"

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <fstream>
#include <thread>

using lp::test::http_connection;
using lp::test::http_request;
using lp::test::raw_exchange;
using lp::test::server_process;

namespace {

/// The server's peak resident memory (VmHWM) since reset_peak(), in bytes.
long peak_bytes(server_process const& server) { return server.status_field("VmHWM") * 1024; }
long resident_bytes(server_process const& server) { return server.status_field("VmRSS") * 1024; }
void reset_peak(server_process const& server)
{
    std::ofstream("/proc/" + std::to_string(server.pid()) + "/clear_refs") << "5";
}

std::string rpc(std::string const& params)
{
    return R"({"jsonrpc":"2.0","method":"call","params":)" + params + R"(,"id":1})";
}

/// JSON-RPC bodies of about `size` bytes that cost much more than their size once parsed
/// or held, as the issue measured them.
std::vector<std::pair<std::string, std::string>> hostile_bodies(std::size_t size)
{
    std::vector<std::pair<std::string, std::string>> bodies;
    auto fill = [&](std::string name, std::string open, std::string item, std::string close) {
        std::string text = open;
        for (std::size_t i = 0; text.size() + item.size() + close.size() + 64 < size; ++i)
            text += (i ? "," : "") + (item == "key" ? "\"" + std::to_string(i) + "\":0" : item);
        bodies.emplace_back(std::move(name), rpc(text + close));
    };
    fill("zeros", R"({"channels":[)", "0", "]}");
    fill("empty lists", R"({"channels":[)", "[]", "]}");
    fill("empty objects", R"({"channels":[)", "{}", "]}");
    fill("keys", R"({"channels":{)", "key", "}}");
    fill("channels", R"({"last":0,"channels":[)", "\"c\"", "]}");
    std::string deep = std::string(size / 2 - 64, '[') + std::string(size / 2 - 64, ']');
    bodies.emplace_back("deep", rpc(R"({"channels":)" + deep + "}"));
    return bodies;
}

std::string post(std::string const& target, std::string const& body, std::string const& extra = "")
{
    return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra
         + "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

/// The issue's 18 MB of chunk trailers.
std::string trailer_bomb()
{
    std::string text = "POST /longpolling/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n";
    std::string const line = "X-T: " + std::string(120, 't') + "\r\n";
    while (text.size() < 18'000'000)
        text += line;
    return text + "\r\n";
}

} // namespace

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(examples_are_off_unless_enabled)
{
    server_process plain;
    BOOST_TEST(http_request(plain.port(), "GET", "/openerplongpolling/hello").status == 404u);
    BOOST_TEST(http_request(plain.port(), "POST", "/openerplongpolling/partners", rpc("{}"), "Content-Type: application/json\r\n").status == 404u);
    BOOST_TEST(plain.log().find("Add the rule: 'partners:") == std::string::npos);
    BOOST_TEST(http_request(plain.port(), "GET", "/longpolling/health").status == 200u);
    server_process with({"--examples", "True"});
    BOOST_TEST(http_request(with.port(), "GET", "/openerplongpolling/hello").status == 200u);
}

BOOST_AUTO_TEST_CASE(a_nul_in_a_path_names_nothing)
{
    server_process server;
    BOOST_TEST(http_request(server.port(), "GET", "/openerplongpolling/static/demo.html").status == 200u);
    auto const nul = http_request(server.port(), "GET", "/openerplongpolling/static/demo.html%00.js");
    BOOST_TEST(nul.status == 404u);
    BOOST_TEST(nul.body.find("<html") == std::string::npos);
    BOOST_TEST(http_request(server.port(), "GET", "/longpolling/health%00").status == 404u);
}

BOOST_AUTO_TEST_CASE(socket_io_client_is_served_from_its_npm_dist_only)
{
    // client/node_modules comes from scripts/setup (which scripts/test runs).
    server_process server;
    auto const client = http_request(server.port(), "GET", "/openerplongpolling/static/socket.io-client/socket.io.min.js");
    BOOST_TEST(client.status == 200u);
    BOOST_TEST(client.body.find("engine.io") != std::string::npos);
    BOOST_TEST(http_request(server.port(), "GET", "/openerplongpolling/static/socketio.js").status == 200u);
    BOOST_TEST(http_request(server.port(), "GET", "/openerplongpolling/static/node_modules/ws/package.json").status == 404u);
    BOOST_TEST(http_request(server.port(), "GET", "/openerplongpolling/static/socket.io-client/../package.json").status == 404u);
}

BOOST_AUTO_TEST_CASE(a_huge_countdown_waits_for_the_deadline)
{
    server_process server({"--examples", "True", "--longpolling-timeout", "1"});
    auto const start = std::chrono::steady_clock::now();
    auto const r = http_request(server.port(), "GET", "/openerplongpolling/countdown/9300000000");
    BOOST_TEST(r.status == 408u, r.body);
    auto const waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    BOOST_TEST(waited.count() >= 900); // at the deadline, not at once
    // Beyond int64: no route matches.
    BOOST_TEST(http_request(server.port(), "GET", "/openerplongpolling/countdown/99999999999999999999").status == 404u);
}

BOOST_AUTO_TEST_CASE(connections_per_address)
{
    server_process server({"--max-connections-per-ip", "3"});
    std::vector<http_connection> held;
    for (int i = 0; i < 3; ++i) {
        held.emplace_back(server.port());
        BOOST_TEST(held.back().request("GET", "/longpolling/health").status == 200u);
    }
    // X-Forwarded-For means nothing without proxy_mode: still 127.0.0.1's fourth.
    http_connection fourth(server.port());
    auto const refused = fourth.request("GET", "/longpolling/health", "", "X-Forwarded-For: 10.1.2.3\r\n");
    BOOST_TEST(refused.status == 429u);
    BOOST_TEST(refused.header("retry-after") == "1");
    BOOST_TEST(fourth.closed_by_peer());
    held.pop_back(); // one goes away: room for another
    for (int attempt = 0;; ++attempt) {
        auto const r = http_request(server.port(), "GET", "/longpolling/health");
        if (r.status == 200u || attempt == 50) {
            BOOST_TEST(r.status == 200u);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // the close travels
    }
}

BOOST_AUTO_TEST_CASE(proxy_mode_counts_by_forwarded_address)
{
    server_process server({"--max-connections-per-ip", "2", "--proxy-mode", "True"});
    auto const from = [](std::string const& address) { return "X-Forwarded-For: 203.0.113.9, " + address + "\r\n"; };
    std::vector<http_connection> held;
    for (int i = 0; i < 2; ++i) {
        held.emplace_back(server.port());
        BOOST_TEST(held.back().request("GET", "/longpolling/health", "", from("10.0.0.1")).status == 200u);
    }
    http_connection third(server.port());
    auto const refused = third.request("GET", "/longpolling/health", "", from("10.0.0.1"));
    BOOST_TEST(refused.status == 429u);
    BOOST_TEST(refused.body.find("10.0.0.1") != std::string::npos, refused.body);
    // Another client behind the same proxy is served.
    http_connection other(server.port());
    BOOST_TEST(other.request("GET", "/longpolling/health", "", from("10.0.0.2")).status == 200u);
}

BOOST_AUTO_TEST_CASE(at_the_cap_the_oldest_idle_connection_makes_room)
{
    server_process server({"--examples", "True", "--max-connections", "10"});
    std::vector<http_connection> idle;
    for (int i = 0; i < 10; ++i) {
        idle.emplace_back(server.port(), std::chrono::seconds(5));
        BOOST_TEST(idle.back().request("GET", "/longpolling/health").status == 200u);
    }
    // A new client (a health check) is served; the oldest idle connection was closed for it.
    BOOST_TEST(http_request(server.port(), "GET", "/longpolling/health").status == 200u);
    BOOST_TEST(idle.front().closed_by_peer());
    idle.clear();

    // Every connection busy (waiting handlers, none idle): a new one is told so at once.
    std::vector<http_connection> busy;
    for (int i = 0; i < 10; ++i) {
        busy.emplace_back(server.port());
        busy.back().send("GET /openerplongpolling/countdown/20 HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500)); // let them be read
    auto const full = raw_exchange(server.port(), "GET /longpolling/health HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_TEST(full.status() == 503u, full.received);
    BOOST_TEST(full.closed);
}

BOOST_AUTO_TEST_CASE(a_reply_that_ends_the_connection_is_not_lost_to_a_reset)
{
    // A client that pipelines requests and reads slowly (a small receive buffer): the server's
    // last replies are still in its send queue when it refuses a request and closes. Closing
    // with the client's extra bytes unread would send a reset, which drops that queue; a
    // lingering close half-closes, discards what the client still sends, and the client reads
    // every reply, then a clean end.
    server_process server;
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int const small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(server.port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    constexpr int pipelined = 200;
    std::string bytes;
    for (int i = 0; i < pipelined; ++i)
        bytes += "GET /longpolling/health HTTP/1.1\r\nHost: x\r\n\r\n";
    bytes += "POST /longpolling/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n" + std::string(5000, 'z');
    std::thread sender([&] {
        for (std::size_t sent = 0; sent < bytes.size();) {
            auto const n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n <= 0)
                break;
            sent += static_cast<std::size_t>(n);
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500)); // the server is done before we read
    std::string received;
    char buffer[4096];
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0)
        received.append(buffer, static_cast<std::size_t>(n));
    int const error = n < 0 ? errno : 0;
    sender.join();
    ::close(fd);
    lp::test::raw_result const result{received, true};
    BOOST_TEST(result.responses() == pipelined + 1u);
    BOOST_TEST(received.find("HTTP/1.1 400 ") != std::string::npos);
    BOOST_TEST(n == 0, "the connection ended with " << std::strerror(error) << ", not a clean end");
}

BOOST_AUTO_TEST_CASE(no_request_costs_much_more_memory_than_its_size)
{
    // The issue's target: a request of at most http_body_limit bytes costs at most ~4x its
    // size in server memory, measured as the growth of the server's peak RSS (VmHWM) from
    // what it held before the request.
    if (lp::test::sanitized) {
        BOOST_TEST_MESSAGE("not measured under AddressSanitizer");
        return;
    }
    server_process server;
    auto const port = server.port();
    BOOST_TEST(http_request(port, "GET", "/longpolling/health").status == 200u);
    for (auto const& [name, body] : hostile_bodies(1000 * 1000)) {
        auto const request = post("/longpolling/poll", body);
        auto const before = resident_bytes(server);
        reset_peak(server);
        auto const r = raw_exchange(port, request);
        auto const growth = peak_bytes(server) - before;
        BOOST_TEST_MESSAGE(name << ": " << request.size() << " bytes, peak RSS +" << growth << " bytes, " << r.status());
        BOOST_TEST(r.status() >= 400u, name << ": " << r.received.substr(0, 200)); // refused, or 503: no database
        BOOST_TEST(growth <= static_cast<long>(4 * request.size()),
                   name << ": " << request.size() << " bytes cost " << growth << " bytes of peak RSS");
    }
    auto const bomb = trailer_bomb();
    auto const before = resident_bytes(server);
    reset_peak(server);
    auto const r = raw_exchange(port, bomb);
    BOOST_TEST_MESSAGE("18 MB of trailers: peak RSS +" << peak_bytes(server) - before << " bytes, " << r.status());
    BOOST_TEST(r.status() == 431u);
    BOOST_TEST(peak_bytes(server) - before <= 4L * 1024 * 1024, "18 MB of trailers: peak RSS grew "
                                                                    << peak_bytes(server) - before);
}

BOOST_AUTO_TEST_CASE(no_request_holds_the_event_loop_for_more_than_50_ms)
{
    // The server's CPU time over one request bounds how long that request can have held the
    // one thread (a wall-clock figure would measure the loaded machine instead).
    if (lp::test::sanitized) {
        BOOST_TEST_MESSAGE("not measured under AddressSanitizer");
        return;
    }
    auto const budget = std::chrono::milliseconds(50);
    auto const tick = std::chrono::milliseconds(1000 / sysconf(_SC_CLK_TCK)); // /proc's resolution
    server_process server;
    auto const port = server.port();
    auto requests = hostile_bodies(1000 * 1000);
    for (auto& [name, body] : requests)
        body = post("/longpolling/poll", body);
    requests.emplace_back("trailers", trailer_bomb());
    for (auto const& [name, request] : requests) {
        auto const before = lp::test::cpu_time(server.pid());
        auto const r = raw_exchange(port, request);
        auto const used = lp::test::cpu_time(server.pid()) - before;
        BOOST_TEST_MESSAGE(name << ": " << used.count() << " ms of server CPU, " << r.status());
        BOOST_TEST(r.status() >= 400u, name);
        BOOST_TEST(used.count() <= (budget + tick).count(), name << ": " << used.count() << " ms of server CPU for one request");
    }
}

BOOST_AUTO_TEST_SUITE_END()
