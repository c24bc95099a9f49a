// Socket.IO's server logic over fake Engine.IO connections: namespaces, rooms, broadcasts,
// acks both ways, binary attachments, server-side disconnect, connectTimeout, malformed packets.
#include "routes/socketio/socketio_server.hpp"
#include "tests/support/fake_engineio.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sio = lp::sio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

using fake_connection = lp::test::fake_engineio_connection;

/// "/chat": joins "lobby" on connect; say (to the lobby but the sender), shout (everyone),
/// leave (the lobby), ask (the server asks the client, with an ack), kick (server disconnect).
struct chat final : sio::name_space {
    chat() : name_space("/chat") {}
    std::optional<std::string> authorize(sio::socket& s) override
    {
        if (s.auth().is_object() && s.auth().get_object().contains("banned"))
            return "banned";
        return std::nullopt;
    }
    void on_connect(sio::socket& s) override { s.join("lobby"); }
    void on_event(sio::socket& s, std::string const& event, sio::arguments a, sio::ack reply) override
    {
        if (event == "say")
            s.broadcast("said", std::move(a), "lobby");
        else if (event == "shout")
            emit("shouted", std::move(a));
        else if (event == "leave")
            s.leave("lobby");
        else if (event == "ask")
            s.emit_with_ack("question", {}, [this](sio::arguments answer) { answers.push_back(answer.args); });
        else if (event == "kick")
            s.disconnect();
        if (reply)
            reply({{"done"}, {}});
    }
    void on_disconnect(sio::socket& s, std::string_view reason) override
    {
        reasons.emplace_back(reason);
        // Too late to ask: nothing is sent, nothing waits.
        late_ack = s.emit_with_ack("late", {}, [this](sio::arguments) { late_answered = true; },
                                   [this] { late_answered = true; });
        acks_left = s.pending_acks();
    }

    std::vector<json::array> answers;
    std::vector<std::string> reasons;
    std::optional<std::uint64_t> late_ack{0};
    std::size_t acks_left = 1;
    bool late_answered = false;
};

struct fixture {
    fixture()
    {
        auto owned = std::make_unique<chat>();
        room = owned.get();
        server.add(std::move(owned));
    }
    /// Opens `c` and joins /chat; drops what the server sent.
    void join(fake_connection& c, std::string const& payload = "")
    {
        server.on_open(c);
        server.on_message(c, "0/chat," + payload, false);
        c.take();
    }
    boost::asio::io_context io;
    sio::server server{io.get_executor(), {100ms}};
    chat* room = nullptr;
    fake_connection a{"a"}, b{"b"}, c{"c"};
};

using texts = std::vector<std::string>;
} // namespace

BOOST_FIXTURE_TEST_SUITE(socketio_server, fixture)

BOOST_AUTO_TEST_CASE(connect_answers_with_a_sid_or_a_connect_error)
{
    server.on_open(a);
    server.on_message(a, "0/chat,", false);
    auto sent = a.take();
    BOOST_REQUIRE_EQUAL(sent.size(), 1u);
    BOOST_TEST(sent[0].starts_with(R"(0/chat,{"sid":")"));
    server.on_message(a, "0/nope,", false);
    BOOST_TEST(a.take() == (texts{R"(4/nope,{"message":"Invalid namespace"})"}), boost::test_tools::per_element());
    server.on_open(b);
    server.on_message(b, R"(0/chat,{"banned":true})", false);
    BOOST_TEST(b.take() == (texts{R"(4/chat,{"message":"banned"})"}), boost::test_tools::per_element());
    BOOST_TEST(room->sockets() == 1u);
}

BOOST_AUTO_TEST_CASE(rooms_broadcasts_and_namespace_emits)
{
    join(a);
    join(b);
    join(c);
    server.on_message(a, R"(2/chat,["say","hi"])", false);
    BOOST_TEST(a.take().empty());
    BOOST_TEST(b.take() == (texts{R"(2/chat,["said","hi"])"}), boost::test_tools::per_element());
    BOOST_TEST(c.take() == (texts{R"(2/chat,["said","hi"])"}), boost::test_tools::per_element());

    server.on_message(c, R"(2/chat,["leave"])", false);
    server.on_message(a, R"(2/chat,["say","again"])", false);
    BOOST_TEST(b.take() == (texts{R"(2/chat,["said","again"])"}), boost::test_tools::per_element());
    BOOST_TEST(c.take().empty());

    server.on_message(c, R"(2/chat,7["shout","all"])", false);
    for (auto* conn : {&a, &b})
        BOOST_TEST(conn->take() == (texts{R"(2/chat,["shouted","all"])"}), boost::test_tools::per_element());
    BOOST_TEST(c.take() == (texts{R"(2/chat,["shouted","all"])", R"(3/chat,7["done"])"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(binary_attachments_travel_with_their_packet)
{
    join(a);
    join(b);
    server.on_message(a, R"(51-/chat,["say",{"_placeholder":true,"num":0}])", false);
    BOOST_TEST(b.take().empty()); // waits for its attachment
    server.on_message(a, std::string("\x01\x02\x03", 3), true);
    BOOST_TEST(b.take() == (texts{R"(51-/chat,["said",{"_placeholder":true,"num":0}])", "<binary:3>"}),
               boost::test_tools::per_element());
    server.on_message(b, std::string("\x01", 1), true); // an attachment nobody announced
    BOOST_TEST(b.closed);
}

BOOST_AUTO_TEST_CASE(the_servers_acks_and_disconnects)
{
    join(a);
    server.on_message(a, R"(2/chat,["ask"])", false);
    BOOST_TEST(a.take() == (texts{R"(2/chat,0["question"])"}), boost::test_tools::per_element());
    server.on_message(a, R"(3/chat,0["forty-two"])", false);
    server.on_message(a, R"(3/chat,0["again"])", false); // an ack is used once
    BOOST_REQUIRE_EQUAL(room->answers.size(), 1u);
    BOOST_TEST(json::serialize(room->answers[0]) == R"(["forty-two"])");

    server.on_message(a, R"(2/chat,["kick"])", false);
    BOOST_TEST(a.take() == (texts{"1/chat,"}), boost::test_tools::per_element());
    BOOST_TEST(!room->late_ack.has_value());
    BOOST_TEST(room->acks_left == 0u);
    BOOST_TEST(!room->late_answered);
    BOOST_TEST(room->sockets() == 0u);
    BOOST_TEST(room->reasons == (texts{"server namespace disconnect"}), boost::test_tools::per_element());
    server.on_message(a, R"(2/chat,["shout","ignored"])", false); // no longer in /chat
    BOOST_TEST(a.take().empty());
    BOOST_TEST(!a.closed);
}

BOOST_AUTO_TEST_CASE(leaving_namespaces_and_connections)
{
    join(a);
    join(b);
    server.on_message(a, "1/chat,", false);
    BOOST_TEST(room->reasons == (texts{"client namespace disconnect"}), boost::test_tools::per_element());
    server.on_close(b, lp::eio::close_reason::ping_timeout);
    BOOST_TEST(room->reasons.back() == "ping timeout");
    BOOST_TEST(room->sockets() == 0u);
}

BOOST_AUTO_TEST_CASE(malformed_packets_close_and_silent_clients_time_out)
{
    join(a);
    for (auto const* bad : {"2{}", "9", R"(2abc["x"])"}) {
        fake_connection conn("bad");
        join(conn);
        server.on_message(conn, bad, false);
        BOOST_TEST(conn.closed, bad);
        server.on_close(conn, lp::eio::close_reason::server_close);
    }
    server.on_open(b); // joins nothing
    io.run_for(300ms);
    BOOST_TEST(b.closed);
    BOOST_TEST(!a.closed);
    server.on_close(a, lp::eio::close_reason::server_close);
    server.on_close(b, lp::eio::close_reason::server_close);
}

BOOST_AUTO_TEST_CASE(a_packet_over_max_payload_with_its_attachments_closes)
{
    sio::server limited{io.get_executor(), {100ms, 100, 1000, 0ms}};
    limited.add(std::make_unique<chat>());
    fake_connection small("small"), big("big"), text("text");
    for (auto* conn : {&small, &big, &text}) {
        limited.on_open(*conn);
        limited.on_message(*conn, "0/chat,", false);
    }
    auto const header = std::string(R"(52-/chat,1["shout",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    limited.on_message(small, header, false); // 79 bytes, then 2 × 10: within 100
    limited.on_message(small, std::string(10, 'x'), true);
    limited.on_message(small, std::string(10, 'y'), true);
    BOOST_TEST(!small.closed);
    limited.on_message(big, header, false);
    limited.on_message(big, std::string(10, 'x'), true);
    limited.on_message(big, std::string(12, 'y'), true); // 101 bytes in all
    BOOST_TEST(big.closed);
    limited.on_message(text, R"(2/chat,["shout",")" + std::string(90, 'z') + R"("])", false);
    BOOST_TEST(text.closed);
    for (auto* conn : {&small, &big, &text})
        limited.on_close(*conn, lp::eio::close_reason::server_close);
}

BOOST_AUTO_TEST_CASE(packets_faster_than_the_rate_limit_close)
{
    sio::server limited{io.get_executor(), {100ms, 1000000, 3, 1h}}; // 3 packets, then one an hour
    limited.add(std::make_unique<chat>());
    fake_connection fast("fast"), other("other");
    limited.on_open(fast);
    limited.on_open(other);
    limited.on_message(fast, "0/chat,", false);
    limited.on_message(other, "0/chat,", false);
    limited.on_message(fast, R"(2/chat,["leave"])", false);
    limited.on_message(fast, R"(2/chat,["leave"])", false);
    BOOST_TEST(!fast.closed); // 3 packets: the burst
    limited.on_message(fast, R"(2/chat,["leave"])", false);
    BOOST_TEST(fast.closed);
    BOOST_TEST(!other.closed); // per connection
    limited.on_close(fast, lp::eio::close_reason::server_close);
    limited.on_close(other, lp::eio::close_reason::server_close);
}

BOOST_AUTO_TEST_SUITE_END()
