// Socket.IO namespaces of the author API on a real database: Odoo session auth from the
// cookie, the CONNECT auth payload or a session_id event; model() as the session's user; the
// /examples namespace gated by longpolling_examples; web_longpolling's /namespace with the
// examples' LONGPOLLING_ON events of every type.
#include "tests/support/http_client.hpp"
#include "tests/support/odoo_server.hpp"
#include "tests/support/websocket_client.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <thread>

namespace json = boost::json;
using lp::test::http_request;

namespace {
constexpr char engineio_target[] = "/socket.io/?EIO=4&transport=";

struct fixture : lp::test::odoo_server_fixture {
    fixture() : odoo_server_fixture("lp_socketio") {}
    std::string admin_sid = admin_session();

    /// The adapters' LISTEN connection comes up after the start-up line: waits for it.
    void wait_for_the_listener()
    {
        for (int i = 0; i < 100; ++i) {
            auto const count = db.exec("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                                       "'longpolling-server-socketio:" + db.name() + "' AND state = 'idle'");
            if (count.find('1') != std::string::npos)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
};

/// An Engine.IO long-polling session: POST packets, GET what comes back.
struct polling_client {
    polling_client(std::uint16_t p, std::string const& cookie, std::string const& origin = "")
        : port(p), headers((cookie.empty() ? "" : "Cookie: " + cookie + "\r\n") + (origin.empty() ? "" : "Origin: " + origin + "\r\n"))
    {
        auto const open = http_request(port, "GET", std::string(engineio_target) + "polling", "", headers);
        BOOST_REQUIRE_EQUAL(open.status, 200u);
        sid = std::string(json::parse(open.body.substr(1)).at("sid").as_string());
    }
    void post(std::string const& packet)
    {
        auto const answer = http_request(port, "POST", std::string(engineio_target) + "polling&sid=" + sid, packet,
                                         headers + "Content-Type: text/plain;charset=UTF-8\r\n");
        BOOST_REQUIRE_MESSAGE(answer.status == 200u, answer.status << " " << answer.body);
    }
    std::string get()
    {
        auto const answer = http_request(port, "GET", std::string(engineio_target) + "polling&sid=" + sid, "", headers);
        BOOST_REQUIRE_EQUAL(answer.status, 200u);
        return answer.body;
    }
    std::uint16_t port;
    std::string headers;
    std::string sid;
};

std::string next_text(lp::test::websocket_client& client)
{
    auto const frame = client.read_frame();
    BOOST_REQUIRE_MESSAGE(frame.has_value(), "no frame");
    return frame->payload;
}

/// A WebSocket joined to /examples, its open packet and CONNECT answer read.
std::unique_ptr<lp::test::websocket_client> joined_examples(std::uint16_t port)
{
    auto client = std::make_unique<lp::test::websocket_client>(port, std::string(engineio_target) + "websocket");
    next_text(*client);
    client->send_text("40/examples,");
    BOOST_TEST(next_text(*client).starts_with("40/examples,"));
    return client;
}
} // namespace

BOOST_FIXTURE_TEST_SUITE(socketio, fixture)

BOOST_AUTO_TEST_CASE(the_session_cookie_authenticates_and_model_reads_as_the_user)
{
    auto server = start({"--examples", "True"});
    polling_client client(server.port(), "session_id=" + admin_sid);
    client.post("40/examples,");
    BOOST_TEST(client.get().starts_with(R"(40/examples,{"sid":")"));
    client.post(R"(42/examples,1["whoami"])");
    BOOST_TEST(client.get() == R"(43/examples,1[2])");
    client.post(R"(42/examples,2["my_login"])");
    BOOST_TEST(client.get() == R"(43/examples,2["admin"])");
    client.post(R"(42/examples,3["echo",1,"two",{"three":[null]}])");
    BOOST_TEST(client.get() == R"(43/examples,3[1,"two",{"three":[null]}])");
}

BOOST_AUTO_TEST_CASE(the_cookie_counts_without_origin_from_the_own_host_or_an_allowed_origin)
{
    auto server = start({"--examples", "True", "--socketio-cors-origins", "https://allowed.example"});
    auto const cookie = "session_id=" + admin_sid;
    auto polling_whoami = [&](std::string const& origin) {
        polling_client client(server.port(), cookie, origin);
        client.post("40/examples,");
        client.get();
        client.post(R"(42/examples,1["whoami"])");
        return client.get();
    };
    BOOST_TEST(polling_whoami("") == R"(43/examples,1[2])");
    BOOST_TEST(polling_whoami("http://127.0.0.1:8069") == R"(43/examples,1[2])"); // the Host's own name
    BOOST_TEST(polling_whoami("https://allowed.example") == R"(43/examples,1[2])");
    BOOST_TEST(polling_whoami("https://evil.example") == R"(43/examples,1[false])"); // CSRF: public
    BOOST_TEST(polling_whoami("null") == R"(43/examples,1[false])");

    auto websocket_whoami = [&](std::string const& origin) {
        lp::test::websocket_client client(server.port(), std::string(engineio_target) + "websocket",
                                          std::chrono::seconds(10), "Cookie: " + cookie + "\r\nOrigin: " + origin + "\r\n");
        next_text(client);
        client.send_text("40/examples,");
        next_text(client);
        client.send_text(R"(42/examples,1["whoami"])");
        return next_text(client);
    };
    BOOST_TEST(websocket_whoami("http://127.0.0.1") == R"(43/examples,1[2])");
    BOOST_TEST(websocket_whoami("https://evil.example") == R"(43/examples,1[false])");
    // The session_id event still authenticates a socket of another origin.
    lp::test::websocket_client other(server.port(), std::string(engineio_target) + "websocket",
                                     std::chrono::seconds(10), "Cookie: " + cookie + "\r\nOrigin: https://evil.example\r\n");
    next_text(other);
    other.send_text("40/examples,");
    next_text(other);
    other.send_text(R"(42/examples,1["session_id",")" + admin_sid + R"("])");
    BOOST_TEST(next_text(other) == R"(43/examples,1[2])");
}

BOOST_AUTO_TEST_CASE(the_connect_payload_or_a_session_id_event_authenticates)
{
    auto server = start({"--examples", "True"});
    lp::test::websocket_client by_payload(server.port(), std::string(engineio_target) + "websocket");
    BOOST_TEST(next_text(by_payload).starts_with(R"(0{"sid":")"));
    by_payload.send_text(R"(40/examples,{"session_id":")" + admin_sid + R"("})");
    BOOST_TEST(next_text(by_payload).starts_with("40/examples,"));
    by_payload.send_text(R"(42/examples,1["whoami"])");
    BOOST_TEST(next_text(by_payload) == R"(43/examples,1[2])");

    lp::test::websocket_client anonymous(server.port(), std::string(engineio_target) + "websocket");
    next_text(anonymous);
    anonymous.send_text("40/examples,");
    next_text(anonymous);
    anonymous.send_text(R"(42/examples,1["whoami"])");
    BOOST_TEST(next_text(anonymous) == R"(43/examples,1[false])");
    anonymous.send_text(R"(42/examples,2["my_login"])"); // needs a session: the ack carries the error
    BOOST_TEST(next_text(anonymous).starts_with(R"(43/examples,2[{"error":)"));
    auto const forged = make_session("--uid 2 --login admin --password admin --secret wrong");
    anonymous.send_text(R"(42/examples,3["session_id",")" + forged + R"("])");
    BOOST_TEST(next_text(anonymous) == R"(43/examples,3[false])");
    anonymous.send_text(R"(42/examples,4["session_id",")" + admin_sid + R"("])");
    BOOST_TEST(next_text(anonymous) == R"(43/examples,4[2])");
    anonymous.send_text(R"(42/examples,5["my_login"])");
    BOOST_TEST(next_text(anonymous) == R"(43/examples,5["admin"])");
}

BOOST_AUTO_TEST_CASE(adapters_deliver_notifications_at_least_once)
{
    auto server = start({"--examples", "True", "--longpolling-timeout", "3"});
    wait_for_the_listener();
    auto join = [&](lp::test::websocket_client& c) {
        next_text(c);
        c.send_text(R"(40/examples,{"session_id":")" + admin_sid + R"("})");
        BOOST_TEST(next_text(c).starts_with("40/examples,"));
    };
    lp::test::websocket_client first(server.port(), std::string(engineio_target) + "websocket");
    join(first);
    first.send_text(R"(42/examples,1["wait_news"])");
    db.exec(R"(SELECT pg_notify('socketio', '{"channel":"examples_news","values":{"text":"hello"}}'))");
    BOOST_TEST(next_text(first) == R"(42/examples,0["news",[{"text":"hello"}]])");
    // Not acknowledged: secure_emit gives up after longpolling_timeout, the message stays.
    BOOST_TEST(next_text(first) == R"(43/examples,1[false])");
    first.send_text(R"(42/examples,2["wait_news"])");
    BOOST_TEST(next_text(first) == R"(42/examples,1["news",[{"text":"hello"}]])");
    first.send_text(R"(43/examples,1[])");
    BOOST_TEST(next_text(first) == R"(43/examples,2[true])");
    // Consumed: the next listen only gets what notify() sends afterwards.
    first.send_text(R"(42/examples,3["wait_news"])");
    lp::test::websocket_client second(server.port(), std::string(engineio_target) + "websocket");
    join(second);
    second.send_text(R"(42/examples,1["publish_news",{"text":"second"}])");
    BOOST_TEST(next_text(second) == R"(43/examples,1[true])");
    BOOST_TEST(next_text(first) == R"(42/examples,2["news",[{"text":"second"}]])");
    first.send_text(R"(43/examples,2[])");
    BOOST_TEST(next_text(first) == R"(43/examples,3[true])");
}

BOOST_AUTO_TEST_CASE(web_longpolling_namespace_runs_connect_on_and_disconnect_events)
{
    auto server = start({"--examples", "True", "--longpolling-timeout", "5"});
    wait_for_the_listener();
    // The connect event greets the socket with its session's uid.
    lp::test::websocket_client user(server.port(), std::string(engineio_target) + "websocket");
    next_text(user);
    user.send_text(R"(40/namespace,{"session_id":")" + admin_sid + R"("})");
    BOOST_TEST(next_text(user).starts_with("40/namespace,"));
    BOOST_TEST(next_text(user) == R"(42/namespace,["welcome",2])");

    // An "on" event with its adapter: listen takes only the messages to the user (uid 2).
    user.send_text(R"(42/namespace,1["my_messages"])");
    db.exec(R"(SELECT pg_notify('socketio', '{"channel":"examples_user_news","values":{"to_id":7,"text":"not yours"}}'))");
    db.exec(R"(SELECT pg_notify('socketio', '{"channel":"examples_user_news","values":{"to_id":2,"text":"hi"}}'))");
    BOOST_TEST(next_text(user) ==
               R"(42/namespace,0["other signal",{"login":"admin","messages":[{"to_id":2,"text":"hi"}]}])");
    user.send_text(R"(43/namespace,0[])");
    BOOST_TEST(next_text(user) == R"(43/namespace,1[true])");

    // An anonymous socket is greeted with false; the events of /examples are not on /namespace.
    lp::test::websocket_client watcher(server.port(), std::string(engineio_target) + "websocket");
    next_text(watcher);
    watcher.send_text("40/namespace,");
    BOOST_TEST(next_text(watcher).starts_with("40/namespace,"));
    BOOST_TEST(next_text(watcher) == R"(42/namespace,["welcome",false])");
    watcher.send_text(R"(42/namespace,1["echo","x"])");
    watcher.send_text(R"(40/examples,{"session_id":")" + admin_sid + R"("})");
    BOOST_TEST(next_text(watcher).starts_with("40/examples,")); // no ack for the unknown echo before

    // The disconnect event runs after the user left /namespace: it notifies examples_news.
    watcher.send_text(R"(42/examples,2["wait_news"])");
    user.send_text("41/namespace,");
    BOOST_TEST(next_text(watcher) == R"(42/examples,0["news",[{"left":2}]])");
    watcher.send_text(R"(43/examples,0[])");
    BOOST_TEST(next_text(watcher) == R"(43/examples,2[true])");
}

BOOST_AUTO_TEST_CASE(a_broadcast_reaches_every_other_socket_once_on_either_transport)
{
    auto server = start({"--examples", "True"});
    auto sender = joined_examples(server.port());
    auto listener = joined_examples(server.port());
    polling_client poller(server.port(), "");
    poller.post("40/examples,");
    BOOST_TEST(poller.get().starts_with("40/examples,"));

    // Text, then a binary attachment: each receiver gets each once, in order; the sender none.
    sender->send_text(R"(42/examples,["broadcast",{"n":1}])");
    sender->send_text(R"(451-/examples,["broadcast",{"_placeholder":true,"num":0}])");
    sender->send(lp::ws::opcode::binary, std::string("\x00\x01\xff", 3));
    BOOST_TEST(next_text(*listener) == R"(42/examples,["broadcast",{"n":1}])");
    BOOST_TEST(next_text(*listener) == R"(451-/examples,["broadcast",{"_placeholder":true,"num":0}])");
    auto const attachment = listener->read_frame();
    BOOST_REQUIRE(attachment.has_value());
    BOOST_TEST((attachment->op == lp::ws::opcode::binary));
    BOOST_TEST(attachment->payload == std::string("\x00\x01\xff", 3));
    BOOST_TEST(poller.get() == "42/examples,[\"broadcast\",{\"n\":1}]\x1e"
                               "451-/examples,[\"broadcast\",{\"_placeholder\":true,\"num\":0}]\x1e" "bAAH/");
    sender->send_text(R"(42/examples,1["echo","after"])");
    BOOST_TEST(next_text(*sender) == R"(43/examples,1["after"])");
}

BOOST_AUTO_TEST_CASE(a_receiver_closed_for_its_backlog_during_a_broadcast_loses_the_others_nothing)
{
    auto server = start({"--examples", "True"});
    auto sender = joined_examples(server.port());
    std::vector<std::unique_ptr<lp::test::websocket_client>> listeners;
    for (int i = 0; i < 3; ++i)
        listeners.push_back(joined_examples(server.port()));
    // A polling receiver that never polls again: past websocket_max_queued (4 MiB) waiting for
    // it, its session ends in the middle of a broadcast's pass over the namespace.
    std::vector<std::unique_ptr<polling_client>> stalled;
    for (int i = 0; i < 3; ++i) {
        stalled.push_back(std::make_unique<polling_client>(server.port(), ""));
        stalled.back()->post("40/examples,");
        BOOST_TEST(stalled.back()->get().starts_with("40/examples,"));
    }
    std::string const big(200 * 1024, 'x');
    constexpr int messages = 25; // 5 MB
    for (int i = 0; i < messages; ++i) {
        sender->send_text(R"(42/examples,["broadcast",)" + std::to_string(i) + R"(,")" + big + R"("])");
        for (auto& listener : listeners) {
            auto const f = listener->read_frame();
            BOOST_REQUIRE_MESSAGE(f, "message " << i << " did not come");
            BOOST_TEST(f->payload.starts_with(R"(42/examples,["broadcast",)" + std::to_string(i) + ","));
        }
    }
    auto const closed = http_request(server.port(), "GET", std::string(engineio_target) + "polling&sid=" + stalled.front()->sid);
    BOOST_TEST(closed.status == 400u);
    sender->send_text(R"(42/examples,1["echo","still here"])");
    BOOST_TEST(next_text(*sender) == R"(43/examples,1["still here"])");
}

BOOST_AUTO_TEST_CASE(examples_are_off_unless_enabled)
{
    auto server = start();
    lp::test::websocket_client client(server.port(), std::string(engineio_target) + "websocket");
    next_text(client);
    client.send_text("40/examples,");
    BOOST_TEST(next_text(client) == R"(44/examples,{"message":"Invalid namespace"})");
    // web_longpolling's namespace is always there, without the examples' events.
    client.send_text("40/namespace,");
    BOOST_TEST(next_text(client).starts_with("40/namespace,"));
    client.send_text(R"(42/namespace,1["my_messages"])");
    client.send_text("40/examples,");
    BOOST_TEST(next_text(client) == R"(44/examples,{"message":"Invalid namespace"})");
}

BOOST_AUTO_TEST_SUITE_END()
