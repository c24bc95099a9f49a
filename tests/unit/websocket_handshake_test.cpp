// The WebSocket opening handshake: accept value, and the 400/426 refusals.
#include "server/websocket_handshake.hpp"

#include <boost/test/unit_test.hpp>

namespace ws = lp::ws;

BOOST_AUTO_TEST_SUITE(websocket_handshake)

namespace {
ws::handshake_request good_request()
{
    ws::handshake_request request;
    request.method = "GET";
    request.host = "localhost";
    request.upgrade = "websocket";
    request.connection = "keep-alive, Upgrade";
    request.key = "dGhlIHNhbXBsZSBub25jZQ==";
    request.version = "13";
    return request;
}
} // namespace

BOOST_AUTO_TEST_CASE(accepts_with_the_rfc_accept_value)
{
    auto const verdict = ws::check_handshake(good_request());
    BOOST_TEST(verdict.status == 101u);
    BOOST_TEST(verdict.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="); // RFC 6455 §1.3
    auto const response = ws::switching_protocols(verdict.accept);
    BOOST_TEST(response.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
    BOOST_TEST(response.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
    BOOST_TEST(response.find("Sec-WebSocket-Extensions") == std::string::npos);
    BOOST_TEST(response.find("Sec-WebSocket-Protocol") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(refusals)
{
    auto with = [](auto change) {
        auto request = good_request();
        change(request);
        return ws::check_handshake(request).status;
    };
    BOOST_TEST(with([](auto& r) { r.version = "8"; }) == 426u);
    BOOST_TEST(with([](auto& r) { r.version.reset(); }) == 400u);
    BOOST_TEST(with([](auto& r) { r.key.reset(); }) == 400u);
    BOOST_TEST(with([](auto& r) { r.host.reset(); }) == 400u);
    BOOST_TEST(with([](auto& r) { r.upgrade.reset(); }) == 400u);
    BOOST_TEST(with([](auto& r) { r.connection.reset(); }) == 400u);
    BOOST_TEST(with([](auto& r) { r.key = "c2hvcnQ="; }) == 400u);                   // 5 bytes
    BOOST_TEST(with([](auto& r) { r.key = "dGhlIHNhbXBsZSBub25j!Q=="; }) == 400u);   // not base64
    BOOST_TEST(with([](auto& r) { r.upgrade = "h2c"; }) == 400u);
    BOOST_TEST(with([](auto& r) { r.connection = "keep-alive"; }) == 400u);
    BOOST_TEST(with([](auto& r) { r.method = "POST"; }) == 400u);
    BOOST_TEST(with([](auto& r) { r.http_version = 10; }) == 400u);
    BOOST_TEST(with([](auto& r) { r.upgrade = "WebSocket"; r.connection = "upgrade"; }) == 101u);
}

BOOST_AUTO_TEST_SUITE_END()
