// WebSocket end to end: the built server, a real client (Beast's), and raw sockets for the
// handshake errors, malformed frames, keep-alive, limits and shutdown.
#include "tests/support/server_process.hpp"
#include "tests/support/websocket_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/test/unit_test.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bws = beast::websocket;
namespace ws = lp::ws;
using lp::test::http_connection;
using lp::test::server_process;
using lp::test::websocket_client;

namespace {
constexpr char echo_path[] = "/openerplongpolling/ws/echo";

/// A Beast WebSocket client connected to the echo endpoint.
struct beast_client {
    explicit beast_client(std::uint16_t port, std::string const& target = echo_path)
    {
        stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
        stream.handshake("127.0.0.1:" + std::to_string(port), target);
    }
    std::string read_text()
    {
        beast::flat_buffer buffer;
        stream.read(buffer);
        BOOST_TEST(stream.got_text());
        return beast::buffers_to_string(buffer.data());
    }
    asio::io_context io;
    bws::stream<asio::ip::tcp::socket> stream{io};
};

std::string with_version(std::string const& version)
{
    return std::string("GET ") + echo_path + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: " + version + "\r\n\r\n";
}

/// Sends `bytes` on a fresh WebSocket and returns the close code the server answers with.
std::uint16_t close_code_for(std::uint16_t port, std::string const& bytes)
{
    websocket_client client(port);
    client.send_raw(bytes);
    auto const close = client.read_until_close();
    BOOST_REQUIRE(close.has_value());
    BOOST_TEST(client.closed_by_peer());
    return close->close_code();
}

std::string masked(ws::opcode op, std::string_view payload, bool fin = true)
{
    static constexpr std::array<unsigned char, 4> mask{1, 2, 3, 4};
    std::string out;
    ws::append_frame(out, op, payload, fin, &mask);
    return out;
}
} // namespace

BOOST_AUTO_TEST_SUITE(websocket)

BOOST_AUTO_TEST_CASE(beast_client_echo_fragments_ping_and_close)
{
    server_process server({"--examples", "True"});
    beast_client client(server.port());
    client.stream.text(true);
    client.stream.write(asio::buffer(std::string("hello")));
    BOOST_TEST(client.read_text() == "hello");
    std::string const accents = "d\xC3\xA9j\xC3\xA0 vu \xE2\x82\xAC";
    client.stream.write(asio::buffer(accents));
    BOOST_TEST(client.read_text() == accents);

    // A large message, sent in small fragments by the client.
    client.stream.auto_fragment(true);
    client.stream.write_buffer_bytes(1000);
    std::string const large(300000, 'z');
    client.stream.write(asio::buffer(large));
    BOOST_TEST(client.read_text() == large);

    // Ping: the pong comes back before the next echo.
    std::string pong_payload;
    client.stream.control_callback([&](bws::frame_type kind, beast::string_view payload) {
        if (kind == bws::frame_type::pong)
            pong_payload = std::string(payload);
    });
    client.stream.ping("are you there");
    client.stream.write(asio::buffer(std::string("after ping")));
    BOOST_TEST(client.read_text() == "after ping");
    BOOST_TEST(pong_payload == "are you there");

    // The closing handshake, started by the client: Beast's close() waits for the server's
    // close frame (and throws when none comes).
    client.stream.close(bws::close_reason(bws::close_code::normal, "bye"));
    BOOST_TEST(client.stream.reason().code == 1000);
    BOOST_TEST(!client.stream.is_open());
}

BOOST_AUTO_TEST_CASE(beast_client_sees_the_open_functions_greeting_first)
{
    server_process server({"--examples", "True"});
    beast_client client(server.port(), std::string(echo_path) + "?greeting=welcome");
    BOOST_TEST(client.read_text() == "welcome");
    client.stream.write(asio::buffer(std::string("x")));
    BOOST_TEST(client.read_text() == "x");
}

BOOST_AUTO_TEST_CASE(the_open_function_may_close_at_once)
{
    server_process server({"--examples", "True"});
    websocket_client client(server.port(), std::string(echo_path) + "?close=4003");
    auto close = client.read_frame();
    BOOST_REQUIRE(close.has_value());
    BOOST_TEST((close->op == ws::opcode::close));
    BOOST_TEST(close->close_code() == 4003);
    BOOST_TEST(close->payload.substr(2) == "closed by the open function");
    client.send(ws::opcode::close, close->payload.substr(0, 2));
    BOOST_TEST(client.closed_by_peer());
}

BOOST_AUTO_TEST_CASE(handshake_errors_400_and_426)
{
    server_process server({"--examples", "True"});
    auto const port = server.port();
    {
        http_connection c(port);
        c.send(with_version("8"));
        auto r = c.read_response();
        BOOST_TEST(r.status == 426u);
        BOOST_TEST(r.header("sec-websocket-version") == "13");
    }
    // A plain GET of the endpoint, a missing key, a key that is not 16 bytes.
    BOOST_TEST(lp::test::http_request(port, "GET", echo_path).status == 400u);
    {
        http_connection c(port);
        c.send(std::string("GET ") + echo_path + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n");
        BOOST_TEST(c.read_response().status == 400u);
    }
    {
        http_connection c(port);
        c.send(std::string("GET ") + echo_path + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n");
        auto r = c.read_response();
        BOOST_TEST(r.status == 400u);
        BOOST_TEST(r.body.find("16 bytes") != std::string::npos);
    }
    // No subprotocol chosen, permessage-deflate declined: neither header in the 101.
    {
        http_connection c(port);
        c.send(lp::test::handshake_request(echo_path, "Sec-WebSocket-Protocol: chat\r\n"
                                                      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"));
        auto r = c.read_response();
        BOOST_TEST(r.status == 101u);
        BOOST_TEST(r.header("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        BOOST_TEST(r.header("upgrade") == "websocket");
        BOOST_TEST(r.header("sec-websocket-protocol").empty());
        BOOST_TEST(r.header("sec-websocket-extensions").empty());
    }
    // The server still serves HTTP on the same port.
    BOOST_TEST(lp::test::http_request(port, "GET", "/openerplongpolling/mainroute").status == 200u);
}

BOOST_AUTO_TEST_CASE(example_endpoints_are_off_unless_enabled)
{
    server_process server;
    http_connection c(server.port());
    c.send(with_version("13"));
    BOOST_TEST(c.read_response().status == 404u);
}

BOOST_AUTO_TEST_CASE(malformed_frames_get_their_close_codes)
{
    server_process server({"--examples", "True", "--websocket-max-message", "1024"});
    auto const port = server.port();
    std::string unmasked;
    ws::append_frame(unmasked, ws::opcode::text, "x");
    BOOST_TEST(close_code_for(port, unmasked) == 1002);
    auto rsv = masked(ws::opcode::text, "x");
    rsv[0] = static_cast<char>(rsv[0] | 0x40);
    BOOST_TEST(close_code_for(port, rsv) == 1002);
    BOOST_TEST(close_code_for(port, masked(ws::opcode::ping, "x", false)) == 1002);
    BOOST_TEST(close_code_for(port, masked(ws::opcode::ping, std::string(126, 'p'))) == 1002);
    BOOST_TEST(close_code_for(port, masked(ws::opcode::continuation, "x")) == 1002);
    BOOST_TEST(close_code_for(port, masked(ws::opcode::text, "\xC3\x28")) == 1007);
    BOOST_TEST(close_code_for(port, masked(ws::opcode::text, std::string(1025, 'x'))) == 1009);
    BOOST_TEST(close_code_for(port, masked(ws::opcode::text, std::string(600, 'x'), false)
                                        + masked(ws::opcode::continuation, std::string(600, 'x')))
               == 1009);
    // A binary message: the echo endpoint closes with 1003.
    BOOST_TEST(close_code_for(port, masked(ws::opcode::binary, "b")) == 1003);
    // Still serving.
    websocket_client after(port);
    after.send_text("still here");
    auto frame = after.read_frame();
    BOOST_REQUIRE(frame.has_value());
    BOOST_TEST(frame->payload == "still here");
}

BOOST_AUTO_TEST_CASE(raw_ping_pong_and_client_close)
{
    server_process server({"--examples", "True"});
    websocket_client client(server.port());
    client.send(ws::opcode::ping, "abc");
    auto pong = client.read_frame();
    BOOST_REQUIRE(pong.has_value());
    BOOST_TEST((pong->op == ws::opcode::pong));
    BOOST_TEST(pong->payload == "abc");
    // A fragmented message with a ping in the middle.
    client.send(ws::opcode::text, "frag", false);
    client.send(ws::opcode::ping, "mid");
    client.send(ws::opcode::continuation, "mented");
    auto middle = client.read_frame();
    BOOST_REQUIRE(middle.has_value());
    BOOST_TEST((middle->op == ws::opcode::pong));
    auto echoed = client.read_frame();
    BOOST_REQUIRE(echoed.has_value());
    BOOST_TEST(echoed->payload == "fragmented");
    // The client closes: the same code comes back, then the end of the stream.
    client.send(ws::opcode::close, ws::close_payload(4000, "done"));
    auto close = client.read_frame();
    BOOST_REQUIRE(close.has_value());
    BOOST_TEST((close->op == ws::opcode::close));
    BOOST_TEST(close->close_code() == 4000);
    BOOST_TEST(client.closed_by_peer());
}

BOOST_AUTO_TEST_CASE(keep_alive_ping_then_drop_without_pong)
{
    server_process server({"--examples", "True", "--websocket-inactivity-timeout", "1", "--websocket-pong-timeout", "1"});
    websocket_client client(server.port());
    // Quiet for a second: the server pings; the client answers and stays.
    auto ping = client.read_frame();
    BOOST_REQUIRE(ping.has_value());
    BOOST_TEST((ping->op == ws::opcode::ping));
    client.send(ws::opcode::pong, ping->payload);
    auto const answered = std::chrono::steady_clock::now();
    // The next ping comes a second after that answer; this time no pong: dropped, without a
    // close frame.
    auto second = client.read_frame();
    BOOST_REQUIRE(second.has_value());
    BOOST_TEST((second->op == ws::opcode::ping));
    BOOST_TEST((std::chrono::steady_clock::now() - answered >= std::chrono::milliseconds(900)));
    BOOST_TEST(!client.read_frame().has_value());
}

BOOST_AUTO_TEST_CASE(an_active_client_is_not_pinged)
{
    // Three seconds of a frame every 300 ms, with a PING due after 2 s of silence.
    server_process server({"--examples", "True", "--websocket-inactivity-timeout", "2", "--websocket-pong-timeout", "1"});
    websocket_client client(server.port());
    for (int i = 0; i < 10; ++i) {
        client.send_text("tick");
        auto frame = client.read_frame();
        BOOST_REQUIRE(frame.has_value());
        BOOST_TEST((frame->op == ws::opcode::text));
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
}

BOOST_AUTO_TEST_CASE(lifetime_ends_with_4002)
{
    server_process server({"--examples", "True", "--websocket-keep-alive-timeout", "1"});
    websocket_client client(server.port());
    auto const opened = std::chrono::steady_clock::now();
    auto close = client.read_until_close();
    auto const lived = std::chrono::steady_clock::now() - opened;
    BOOST_REQUIRE(close.has_value());
    BOOST_TEST(close->close_code() == 4002);
    // 1 s plus up to half of it.
    BOOST_TEST((lived >= std::chrono::milliseconds(950)));
    BOOST_TEST((lived < std::chrono::seconds(5))); // 1.5 s at most, with room for a loaded machine
    client.send(ws::opcode::close, close->payload.substr(0, 2));
    BOOST_TEST(client.closed_by_peer());
}

BOOST_AUTO_TEST_CASE(a_client_that_does_not_read_is_closed_with_1008)
{
    server_process server({"--examples", "True", "--websocket-max-queued", "65536"});
    websocket_client client(server.port(), echo_path, std::chrono::seconds(20));
    // Echoes pile up while the client only writes: far more than the kernel's buffers hold.
    std::string const chunk(60000, 'q');
    for (int i = 0; i < 400; ++i)
        client.send_text(chunk);
    std::size_t echoes = 0;
    std::optional<lp::test::server_frame> frame;
    while ((frame = client.read_frame()) && frame->op == ws::opcode::text)
        ++echoes;
    BOOST_REQUIRE(frame.has_value());
    BOOST_TEST((frame->op == ws::opcode::close));
    BOOST_TEST(frame->close_code() == 1008);
    BOOST_TEST(echoes < 400u);
}

BOOST_AUTO_TEST_CASE(shutdown_closes_every_websocket_with_1001)
{
    server_process server({"--examples", "True"});
    std::vector<std::unique_ptr<websocket_client>> clients;
    for (int i = 0; i < 20; ++i)
        clients.push_back(std::make_unique<websocket_client>(server.port()));
    // The last one answers nothing: the server must not wait for it beyond its second.
    auto const signalled = std::chrono::steady_clock::now();
    kill(server.pid(), SIGTERM);
    for (std::size_t i = 0; i + 1 < clients.size(); ++i) {
        auto close = clients[i]->read_until_close();
        BOOST_REQUIRE(close.has_value());
        BOOST_TEST(close->close_code() == 1001);
        clients[i]->send(ws::opcode::close, close->payload.substr(0, 2));
    }
    auto status = server.process().wait_exit(std::chrono::seconds(10));
    BOOST_REQUIRE(status.has_value());
    BOOST_TEST(*status == 0);
    BOOST_TEST((std::chrono::steady_clock::now() - signalled < std::chrono::seconds(5)));
    // Ended by itself (the silent client dropped after its second), not by the 2 s hard stop.
    BOOST_TEST(server.log().find("did not close within") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
