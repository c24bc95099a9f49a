// The built server over real sockets: both modes, both json forms, errors, limits, keep-alive.
#include "tests/support/curl.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace json = boost::json;
using lp::test::http_connection;
using lp::test::http_request;
using lp::test::server_process;

namespace {
std::string url(server_process const& server, std::string const& path)
{
    return "'http://127.0.0.1:" + std::to_string(server.port()) + path + "'";
}

std::string error_message(std::string const& body)
{
    return std::string(json::parse(body).at("error").at("data").at("message").as_string());
}

/// One server for the suite's read-only checks; tests that need other flags start their own.
struct shared_server {
    static server_process& get()
    {
        static server_process server({"--examples", "True", "--body-limit", "4096", "--longpolling-timeout", "1"});
        return server;
    }
};
} // namespace

BOOST_AUTO_TEST_SUITE(http)

BOOST_AUTO_TEST_CASE(logs_rules_and_start_line_like_the_seed)
{
    auto const log = shared_server::get().log();
    BOOST_TEST(log.find("INFO longpolling routes: Add the rule: 'myfunction:/openerplongpolling/varroute/<var1>/<int:var2>'")
               != std::string::npos);
    BOOST_TEST(log.find("Add the rule: 'myfunction:/openerplongpolling/mainroute'") != std::string::npos);
    BOOST_TEST(log.find("Start long polling server '127.0.0.1':") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(json_route_get_form_with_curl)
{
    auto& server = shared_server::get();
    auto r = lp::test::curl(url(server, "/openerplongpolling/varroute/hello/42?session_id=x&data=%7B%22limit%22%3A3%7D"));
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(json::serialize(json::parse(r.body))
               == R"({"route":"/openerplongpolling/varroute/hello/42","var1":"hello","var2":42,"params":{"limit":3,"var1":"hello","var2":42}})");
}

BOOST_AUTO_TEST_CASE(json_route_jsonrpc_form_with_curl)
{
    auto& server = shared_server::get();
    auto r = lp::test::curl("-H 'Content-Type: application/json' -d '{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"params\":{\"x\":[1]},\"id\":17}' "
                            + url(server, "/openerplongpolling/mainroute"));
    BOOST_TEST(r.status == 200u);
    auto reply = json::parse(r.body);
    BOOST_TEST(reply.at("id").as_int64() == 17);
    BOOST_TEST(json::serialize(reply.at("result").at("params")) == R"({"x":[1]})");
}

BOOST_AUTO_TEST_CASE(http_route_with_curl)
{
    auto& server = shared_server::get();
    auto get = lp::test::curl(url(server, "/openerplongpolling/hello?name=%3Cb%3E"));
    BOOST_TEST(get.status == 200u);
    BOOST_TEST(get.body == "<!doctype html><title>hello</title><h1>Hello, &lt;b&gt;!</h1>\n");
    auto form = lp::test::curl("--data-urlencode 'name=Odoo S.A.' " + url(server, "/openerplongpolling/hello"));
    BOOST_TEST(form.body.find("Hello, Odoo S.A.!") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(status_codes)
{
    auto const port = shared_server::get().port();
    auto missing = http_request(port, "GET", "/openerplongpolling/nothing");
    BOOST_TEST(missing.status == 404u);
    BOOST_TEST(missing.header("content-type") == "application/json");
    BOOST_TEST(http_request(port, "GET", "/hello").status == 404u); // outside longpolling_path
    // Odoo's poll is served at its own path only (it was also registered under the prefix).
    BOOST_TEST(http_request(port, "POST", "/openerplongpolling/longpolling/poll").status == 404u);

    auto wrong_method = http_request(port, "DELETE", "/openerplongpolling/hello");
    BOOST_TEST(wrong_method.status == 405u);
    BOOST_TEST(wrong_method.header("allow") == "GET, POST");

    auto anonymous = http_request(port, "GET", "/openerplongpolling/whoami");
    BOOST_TEST(anonymous.status == 401u);
    BOOST_TEST(json::parse(anonymous.body).at("error").at("message").as_string() == "Odoo Session Expired");
    auto bad_cookie = http_request(port, "GET", "/openerplongpolling/whoami", "", "Cookie: session_id=forged\r\n");
    BOOST_TEST(bad_cookie.status == 401u);

    auto bad_json = http_request(port, "POST", "/openerplongpolling/mainroute", "{\"jsonrpc\":\"2.0\",", "Content-Type: application/json\r\n");
    BOOST_TEST(bad_json.status == 400u);
    BOOST_TEST(error_message(bad_json.body).starts_with("the body is not valid JSON"));
    auto bad_data = http_request(port, "GET", "/openerplongpolling/mainroute?data=42");
    BOOST_TEST(bad_data.status == 400u);
    BOOST_TEST(error_message(bad_data.body) == "parameter 'data' must be a JSON object of named parameters");
}

BOOST_AUTO_TEST_CASE(handler_past_longpolling_timeout_gets_408)
{
    auto const port = shared_server::get().port(); // --longpolling-timeout 1
    auto late = http_request(port, "GET", "/openerplongpolling/countdown/5");
    BOOST_TEST(late.status == 408u);
    BOOST_TEST(error_message(late.body) == "the handler did not answer within longpolling_timeout (1 s)");
    auto in_time = http_request(port, "GET", "/openerplongpolling/countdown/0");
    BOOST_TEST(in_time.status == 200u);
    BOOST_TEST(json::parse(in_time.body).at("seconds").as_int64() == 0);
}

BOOST_AUTO_TEST_CASE(malformed_http_gets_400_and_the_server_keeps_serving)
{
    auto const port = shared_server::get().port();
    for (std::string garbage : {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET /x HTTP/1.1\r\nBad Header\r\n\r\n",
                                "POST /openerplongpolling/mainroute HTTP/1.1\r\nContent-Length: nope\r\n\r\n"}) {
        http_connection c(port);
        c.send(garbage);
        auto r = c.read_response();
        BOOST_TEST(r.status == 400u, "for " << garbage);
        BOOST_TEST(r.body.starts_with("malformed HTTP request"));
        BOOST_TEST(c.closed_by_peer());
    }
    BOOST_TEST(http_request(port, "GET", "/openerplongpolling/mainroute").status == 200u);
}

BOOST_AUTO_TEST_CASE(oversized_body_gets_413_and_oversized_header_431)
{
    auto const port = shared_server::get().port(); // --body-limit 4096
    auto big = http_request(port, "POST", "/openerplongpolling/mainroute", std::string(5000, 'x'),
                            "Content-Type: application/json\r\n");
    BOOST_TEST(big.status == 413u);
    auto fits = http_request(port, "POST", "/openerplongpolling/mainroute",
                             R"({"jsonrpc":"2.0","params":{"pad":")" + std::string(3000, 'x') + "\"},\"id\":1}",
                             "Content-Type: application/json\r\n");
    BOOST_TEST(fits.status == 200u);
    auto huge_header = http_request(port, "GET", "/openerplongpolling/mainroute", "",
                                    "X-Padding: " + std::string(9000, 'y') + "\r\n");
    BOOST_TEST(huge_header.status == 431u);
    // curl announces larger bodies with Expect: 100-continue; the limit still applies, and a
    // body within it still arrives.
    char name[] = "/tmp/lp-body-XXXXXX";
    int fd = mkstemp(name);
    BOOST_REQUIRE(fd >= 0);
    std::string const body = R"({"jsonrpc":"2.0","params":{"pad":")" + std::string(6000, 'z') + "\"},\"id\":1}";
    BOOST_REQUIRE(write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size()));
    close(fd);
    auto curl_big = lp::test::curl("-H 'Expect: 100-continue' -H 'Content-Type: application/json' --data-binary @"
                                   + std::string(name) + " " + url(shared_server::get(), "/openerplongpolling/mainroute"));
    BOOST_TEST(curl_big.status == 413u);
    unlink(name);
}

BOOST_AUTO_TEST_CASE(keep_alive_serves_several_requests_on_one_connection)
{
    auto const port = shared_server::get().port();
    http_connection c(port);
    for (int i = 0; i < 3; ++i) {
        auto r = c.request("GET", "/openerplongpolling/varroute/k/" + std::to_string(i));
        BOOST_TEST(r.status == 200u);
        BOOST_TEST(json::parse(r.body).at("var2").as_int64() == i);
        BOOST_TEST(r.header("connection") != "close");
    }
    auto last = c.request("GET", "/openerplongpolling/mainroute", "", "Connection: close\r\n");
    BOOST_TEST(last.status == 200u);
    BOOST_TEST(c.closed_by_peer());
}

BOOST_AUTO_TEST_CASE(silent_or_slow_clients_are_disconnected)
{
    server_process server({"--examples", "True", "--header-timeout", "1"});
    http_connection silent(server.port(), std::chrono::seconds(10));
    http_connection half(server.port(), std::chrono::seconds(10));
    half.send("GET /openerplongpolling/mainroute HTTP/1.1\r\nHost: x\r\n");
    auto const started = std::chrono::steady_clock::now();
    BOOST_TEST(silent.closed_by_peer());
    BOOST_TEST(half.closed_by_peer());
    // Closed by the 1 s header timeout, not by the client's own 10 s read timeout.
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(8)));
    BOOST_TEST(http_request(server.port(), "GET", "/openerplongpolling/mainroute").status == 200u);
}

BOOST_AUTO_TEST_CASE(longpolling_path_from_the_command_line)
{
    server_process server({"--examples", "True", "--longpolling-path", "/otherpath"});
    BOOST_TEST(http_request(server.port(), "GET", "/otherpath/hello").status == 200u);
    BOOST_TEST(http_request(server.port(), "GET", "/openerplongpolling/hello").status == 404u);
    BOOST_TEST(server.log().find("Add the rule: 'hello:/otherpath/hello'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_configuration_exits_2_with_one_line)
{
    for (std::vector<std::string> args : {std::vector<std::string>{"--bogus"}, {"-p", "x"}, {"-c", "/nonexistent.conf"},
                                          {"--longpolling-path", "/a/<b>"}}) {
        std::vector<std::string> argv{LP_SERVER_BINARY};
        argv.insert(argv.end(), args.begin(), args.end());
        lp::test::child_process child(argv);
        auto status = child.wait_exit(std::chrono::seconds(10));
        BOOST_REQUIRE(status.has_value());
        BOOST_TEST(*status == 2, "for " << args.front());
        auto const log = child.log();
        BOOST_TEST(log.starts_with("longpolling-server: "));
        BOOST_TEST(std::count(log.begin(), log.end(), '\n') == 1, "output: " << log);
    }
}

BOOST_AUTO_TEST_SUITE_END()
