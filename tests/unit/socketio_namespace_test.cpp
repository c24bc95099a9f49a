// The author's namespace API (routes/socketio/namespace.hpp) without a database: coroutine
// handlers and their acks, connect and disconnect handlers, reserved names, errors as acks;
// web_longpolling's events (LONGPOLLING_ON's longpolling_event) of every type.
#include "orm_bridge/session.hpp"
#include "routes/socketio/namespace.hpp"
#include "tests/support/fake_engineio.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace json = boost::json;
using lp::socketio::event;
using texts = std::vector<std::string>;
using namespace std::chrono_literals;

namespace {
std::vector<std::string> disconnect_reasons;

void setup(lp::socketio::odoo_namespace& ns)
{
    ns.on("echo", [](event& e) -> boost::asio::awaitable<json::array> { co_return e.args(); });
    ns.on("whoami", [](event& e) -> boost::asio::awaitable<json::array> {
        co_return json::array{e.authenticated() ? json::value(e.uid()) : json::value(false)};
    });
    ns.on("needs_login", [](event& e) -> boost::asio::awaitable<json::array> { co_return json::array{e.uid()}; });
    ns.on("connect", [](event& e) -> boost::asio::awaitable<json::array> {
        e.emit("welcome", {e.authenticated()});
        co_return json::array{};
    });
    ns.on("disconnect", [](event& e) -> boost::asio::awaitable<json::array> {
        disconnect_reasons.emplace_back(e.args().at(0).as_string());
        co_return json::array{};
    });
}

struct fixture {
    fixture()
    {
        auto ns = std::make_unique<lp::socketio::odoo_namespace>("/ns", io.get_executor(), shared, sessions, 5s);
        setup(*ns);
        server.add(std::move(ns));
        disconnect_reasons.clear();
    }
    boost::asio::io_context io;
    lp::services shared;
    lp::orm::no_session_store sessions;
    lp::sio::server server{io.get_executor(), {1000ms}};
    lp::test::fake_engineio_connection client{"c", "session_id=unknown"};

    /// Lets the handlers' coroutines run, then what the client got.
    texts settle()
    {
        io.restart();
        io.poll();
        return client.take();
    }
};
} // namespace

BOOST_FIXTURE_TEST_SUITE(socketio_namespace, fixture)

BOOST_AUTO_TEST_CASE(handlers_are_coroutines_whose_result_is_the_ack)
{
    server.on_open(client);
    server.on_message(client, "0/ns,", false);
    auto const joined = settle();
    BOOST_REQUIRE_EQUAL(joined.size(), 2u);
    BOOST_TEST(joined[0].starts_with(R"(0/ns,{"sid":")"));
    BOOST_TEST(joined[1] == R"(2/ns,["welcome",false])"); // the connect handler, after the session lookup

    server.on_message(client, R"(2/ns,1["echo",1,"two",{"three":[4]}])", false);
    server.on_message(client, R"(2/ns,2["whoami"])", false);
    server.on_message(client, R"(2/ns,3["needs_login"])", false);
    server.on_message(client, R"(2/ns,4["session_id","still-unknown"])", false);
    server.on_message(client, R"(2/ns,["echo","no ack asked"])", false);
    BOOST_TEST(settle()
                   == (texts{R"(3/ns,1[1,"two",{"three":[4]}])", R"(3/ns,2[false])",
                             R"(3/ns,3[{"error":"this event needs a logged-in Odoo session"}])", R"(3/ns,4[false])"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(reserved_and_unknown_events_from_the_client_are_ignored)
{
    server.on_open(client);
    server.on_message(client, "0/ns,", false);
    settle();
    server.on_message(client, R"(2/ns,1["connect"])", false);
    server.on_message(client, R"(2/ns,2["disconnect"])", false);
    server.on_message(client, R"(2/ns,3["nothing_here"])", false);
    BOOST_TEST(settle().empty());
    BOOST_TEST(disconnect_reasons.empty());
    BOOST_TEST(!client.closed);
}

BOOST_AUTO_TEST_CASE(the_disconnect_handler_hears_the_reason)
{
    server.on_open(client);
    server.on_message(client, "0/ns,", false);
    settle();
    server.on_message(client, "1/ns,", false);
    settle();
    BOOST_TEST(disconnect_reasons == (texts{"client namespace disconnect"}), boost::test_tools::per_element());
    server.on_message(client, "0/ns,", false);
    settle();
    server.on_close(client, lp::eio::close_reason::ping_timeout);
    settle();
    BOOST_TEST(disconnect_reasons.back() == "ping timeout");
}

namespace {
using lp::socketio::event_type;
json::array take_all(json::array const& messages, json::array const&) { return messages; }
json::value as_is(json::array const& messages) { return messages; }
constexpr lp::socketio::adapter some_adapter{"some", &take_all, &as_is};

boost::asio::awaitable<json::array> greet_a(event& session, json::array const&)
{
    session.emit("a", {session.name()});
    co_return json::array{};
}
boost::asio::awaitable<json::array> greet_b(event& session, json::array const&)
{
    session.emit("b", {session.name()});
    co_return json::array{};
}
boost::asio::awaitable<json::array> count_args(event&, json::array const& args) { co_return json::array{args.size()}; }
boost::asio::awaitable<json::array> listen_with_own_adapter(event& session, json::array const& args)
{
    co_return co_await session.listen(args);
}
boost::asio::awaitable<json::array> left(event& session, json::array const& args)
{
    disconnect_reasons.emplace_back(std::string(session.name()) + ": " + std::string(args.at(0).as_string()));
    co_return json::array{};
}
} // namespace

BOOST_AUTO_TEST_CASE(web_longpolling_events_of_every_type)
{
    using lp::socketio::make_longpolling_event;
    auto ns = std::make_unique<lp::socketio::odoo_namespace>("/namespace", io.get_executor(), shared, sessions, 5s);
    lp::socketio::add_longpolling_events(
        *ns, {make_longpolling_event("hello", &greet_a, "", event_type::connect),
              make_longpolling_event("count", &count_args, ""),
              make_longpolling_event("hi", &greet_b, "", event_type::connect),
              make_longpolling_event("no_adapter", &listen_with_own_adapter, ""),
              make_longpolling_event("with_adapter", &listen_with_own_adapter, "", some_adapter),
              make_longpolling_event("bye", &left, "", event_type::disconnect, some_adapter)});
    server.add(std::move(ns));
    server.on_open(client);
    server.on_message(client, "0/namespace,", false);
    auto const joined = settle();
    BOOST_REQUIRE_EQUAL(joined.size(), 3u); // both connect events ran
    BOOST_TEST(joined[1] == R"(2/namespace,["a","hello"])");
    BOOST_TEST(joined[2] == R"(2/namespace,["b","hi"])");

    server.on_message(client, R"(2/namespace,1["count",1,2,3])", false);
    server.on_message(client, R"(2/namespace,2["hello"])", false); // a connect event: not for clients
    server.on_message(client, R"(2/namespace,3["no_adapter"])", false);
    server.on_message(client, R"(2/namespace,4["with_adapter"])", false); // its adapter, but no board here
    BOOST_TEST(settle() == (texts{R"(3/namespace,1[3])",
                                  R"x(3/namespace,3[{"error":"event 'no_adapter' was declared without an adapter: listen(adapter, args)"}])x",
                                  R"x(3/namespace,4[{"error":"no PostgreSQL adapters here (socketio_listen_channel)"}])x"}),
               boost::test_tools::per_element());

    server.on_message(client, "1/namespace,", false);
    settle();
    BOOST_TEST(disconnect_reasons == (texts{"bye: client namespace disconnect"}), boost::test_tools::per_element());
}

namespace {
/// Sessions "slow" (uid 7, found after 50 ms) and "fast" (uid 8, found at once).
struct timed_sessions final : lp::orm::session_store {
    explicit timed_sessions(boost::asio::any_io_executor e) : executor(std::move(e)) {}
    boost::asio::awaitable<std::optional<lp::orm::session>> find(std::string id) override
    {
        if (id == "slow") {
            boost::asio::steady_timer t(executor, 50ms);
            co_await t.async_wait(boost::asio::use_awaitable);
            co_return lp::orm::session{id, "db", 7, "slow", {}};
        }
        if (id == "fast")
            co_return lp::orm::session{id, "db", 8, "fast", {}};
        co_return std::nullopt;
    }
    boost::asio::any_io_executor executor;
};

std::optional<bool> secure_emit_answer;
std::size_t acks_left = 99;
} // namespace

BOOST_AUTO_TEST_CASE(a_session_lookup_overtaken_by_a_newer_session_id_is_ignored)
{
    timed_sessions timed(io.get_executor());
    auto ns = std::make_unique<lp::socketio::odoo_namespace>("/timed", io.get_executor(), shared, timed, 5s);
    setup(*ns);
    server.add(std::move(ns));
    server.on_open(client);
    server.on_message(client, R"(0/timed,{"session_id":"slow"})", false); // the connect handler looks "slow" up
    settle();
    server.on_message(client, R"(2/timed,1["session_id","fast"])", false); // answered before "slow"
    io.restart();
    io.run_for(300ms);
    auto const sent = client.take();
    BOOST_TEST(std::count(sent.begin(), sent.end(), R"(3/timed,1[8])") == 1);
    server.on_message(client, R"(2/timed,2["whoami"])", false);
    BOOST_TEST(settle() == (texts{R"(3/timed,2[8])"}), boost::test_tools::per_element()); // not the stale 7
}

namespace {
/// Secure-emits a question; records whether it was acknowledged and the acks left waiting.
boost::asio::awaitable<json::array> ask(event& e)
{
    secure_emit_answer = co_await e.secure_emit("question", 1);
    acks_left = e.socket().pending_acks();
    co_return json::array{};
}

struct asking : fixture {
    /// Joins "/acks", whose "ask" waits `timeout` at most for the ack, and sends "ask".
    void ask_within(std::chrono::steady_clock::duration timeout)
    {
        auto ns = std::make_unique<lp::socketio::odoo_namespace>("/acks", io.get_executor(), shared, sessions, timeout);
        ns->on("ask", &ask);
        server.add(std::move(ns));
        server.on_open(client);
        server.on_message(client, "0/acks,", false);
        settle();
        secure_emit_answer.reset();
        acks_left = 99;
        server.on_message(client, R"(2/acks,["ask"])", false);
    }
};
} // namespace

BOOST_FIXTURE_TEST_CASE(secure_emit_returns_at_once_when_the_client_leaves, asking)
{
    ask_within(1h);
    BOOST_TEST(settle() == (texts{R"(2/acks,0["question",1])"}), boost::test_tools::per_element());
    BOOST_TEST(!secure_emit_answer.has_value()); // waiting for the ack (an hour)
    server.on_close(client, lp::eio::close_reason::transport_close);
    settle();
    BOOST_REQUIRE(secure_emit_answer.has_value()); // released at once, not after the hour
    BOOST_TEST(*secure_emit_answer == false);
}

BOOST_FIXTURE_TEST_CASE(secure_emit_out_of_time_leaves_no_ack_entry, asking)
{
    ask_within(20ms);
    io.restart();
    io.run_for(200ms);
    BOOST_REQUIRE(secure_emit_answer.has_value());
    BOOST_TEST(*secure_emit_answer == false);
    BOOST_TEST(acks_left == 0u); // before: the entry stayed as long as the socket
}

BOOST_AUTO_TEST_SUITE_END()
