// The Engine.IO session state machine, driven alone: each scenario is a table of inputs and
// what the session must answer, as the I/O shell would see it.
#include "routes/socketio/engineio_session.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace eio = lp::eio;
using namespace std::chrono_literals;

namespace {

/// One input and the expected outcome, in a few words:
///   poll             -> "answer:<payload>" | "park" | "overlap" | "refused"
///   reply            -> the parked poll's payload, or "none" when nothing waits for it
///   post <body>      -> "ok" | "bad", then ":<message>" per message delivered
///   frame <text>     -> the same, for a WebSocket text frame
///   probe <text>     -> what the probing WebSocket is answered, joined by ','
///   send <data>      -> ""
///   beat             -> the next delay in ms, or "closed"
///   ws               -> the WebSocket's outbox, packets joined by ','
///   state            -> "polling" | "websocket" | "closed:<reason>"
struct step {
    std::string input;
    std::string argument;
    std::string expected;
};

std::string messages(eio::session::received const& r)
{
    std::string out = r.ok ? "ok" : "bad";
    for (auto const& m : r.messages)
        out += ":" + m.data;
    return out;
}

std::string run(eio::session& s, step const& st)
{
    if (st.input == "poll") {
        switch (s.on_poll()) {
        case eio::session::poll_verdict::answer: return "answer:" + s.take_poll_reply();
        case eio::session::poll_verdict::park: return "park";
        case eio::session::poll_verdict::overlap: return "overlap";
        case eio::session::poll_verdict::refused: return "refused";
        }
    }
    if (st.input == "reply")
        return s.poll_ready() ? s.take_poll_reply() : "none";
    if (st.input == "post")
        return messages(s.on_post(st.argument));
    if (st.input == "frame")
        return messages(s.on_frame(*eio::decode_text(st.argument)));
    if (st.input == "probe") {
        std::string out;
        for (auto const& p : s.on_probe_frame(*eio::decode_text(st.argument)))
            out += (out.empty() ? "" : ",") + eio::encode_text(p);
        return out;
    }
    if (st.input == "send") {
        s.send({eio::packet_type::message, st.argument});
        return "";
    }
    if (st.input == "beat") {
        auto const next = s.on_heartbeat();
        return s.closed() ? "closed" : std::to_string(next.count());
    }
    if (st.input == "ws") {
        std::string out;
        for (auto const& p : s.take_outbox())
            out += (out.empty() ? "" : ",") + eio::encode_text(p);
        return out;
    }
    if (st.input == "state") {
        if (s.closed())
            return std::string("closed:") + eio::describe(s.reason());
        return s.transport() == eio::transport_kind::polling ? "polling" : "websocket";
    }
    return "unknown input " + st.input;
}

void play(std::string const& name, std::vector<step> const& steps, int version = 4,
          eio::transport_kind transport = eio::transport_kind::polling)
{
    eio::settings config;
    config.ping_interval = 300ms;
    config.ping_timeout = 200ms;
    config.max_queued = 10;
    eio::session s("sid", version, transport, config);
    for (std::size_t i = 0; i < steps.size(); ++i)
        BOOST_TEST(run(s, steps[i]) == steps[i].expected,
                   name << ", step " << i + 1 << " (" << steps[i].input << " " << steps[i].argument << ")");
}

} // namespace

BOOST_AUTO_TEST_SUITE(engineio_session)

BOOST_AUTO_TEST_CASE(the_open_packet_names_the_upgrades_and_timings)
{
    eio::settings config;
    eio::session polling("abc", 4, eio::transport_kind::polling, config);
    BOOST_TEST(eio::encode_text(polling.open_packet())
               == R"(0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})");
    eio::session websocket("abc", 4, eio::transport_kind::websocket, config);
    BOOST_TEST(eio::encode_text(websocket.open_packet()).find(R"("upgrades":[])") != std::string::npos);
    eio::session v3("abc", 3, eio::transport_kind::polling, config);
    BOOST_TEST(eio::encode_text(v3.open_packet()).find("maxPayload") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(long_polling_scenarios)
{
    play("messages wait for the next poll, joined",
         {{"send", "a", ""}, {"send", "b", ""}, {"poll", "", "answer:4a\x1e" "4b"}, {"poll", "", "park"},
          {"reply", "", "none"}, {"send", "c", ""}, {"reply", "", "4c"}, {"state", "", "polling"}});
    play("a POST delivers messages in order; pongs and noops are not messages",
         {{"post", "4one\x1e" "6\x1e" "4two", "ok:one:two"}, {"post", "bAQID", "ok:\x01\x02\x03"}});
    play("a malformed POST closes the session (parse error)",
         {{"post", "abc", "bad"}, {"state", "", "closed:parse error"}, {"poll", "", "refused"}});
    play("a second poll while one waits: the first hears 1, the session ends",
         {{"poll", "", "park"}, {"poll", "", "overlap"}, {"reply", "", "1"}, {"state", "", "closed:transport error"}});
    play("the client's close: a waiting poll hears 6",
         {{"poll", "", "park"}, {"post", "1", "ok"}, {"reply", "", "6"}, {"state", "", "closed:transport close"}});
    play("the client's close packet ends the payload: what follows is not delivered",
         {{"post", "4a\x1e" "1\x1e" "4b", "ok:a"}, {"state", "", "closed:transport close"}});
    play("a client that does not poll: past max_queued bytes waiting (10 here), the session closes",
         {{"send", "12345", ""}, {"send", "12345", ""}, {"poll", "", "answer:412345\x1e" "412345"},
          {"send", "12345", ""}, {"send", "123456", ""}, {"state", "", "closed:transport error"}, {"poll", "", "refused"}});
    play("an open or upgrade packet from the client over polling is a parse error",
         {{"post", "0", "bad"}, {"state", "", "closed:parse error"}});
}

BOOST_AUTO_TEST_CASE(heartbeat_scenarios)
{
    play("v4: the server pings; a pong restarts the interval; silence ends the session",
         {{"poll", "", "park"}, {"beat", "", "200"}, {"reply", "", "2"}, {"post", "3", "ok"}, {"beat", "", "200"},
          {"beat", "", "closed"}, {"state", "", "closed:ping timeout"}});
    play("v4: a ping waits for the next poll like any packet",
         {{"beat", "", "200"}, {"poll", "", "answer:2"}});
    play("v3: the client pings, the server answers pong; the timer only checks for silence",
         {{"post", "1:2", "ok"}, {"poll", "", "answer:1:3"}, {"beat", "", "closed"}, {"state", "", "closed:ping timeout"}},
         3);
}

BOOST_AUTO_TEST_CASE(upgrade_scenarios)
{
    play("the upgrade dance: 2probe, 3probe, the waiting poll hears 6, then 5 moves the session",
         {{"poll", "", "park"}, {"probe", "2probe", "3probe"}, {"reply", "", "6"}, {"poll", "", "answer:6"},
          {"probe", "5", ""}, {"state", "", "websocket"}, {"poll", "", "refused"}, {"send", "x", ""}, {"ws", "", "4x"},
          {"frame", "4y", "ok:y"}, {"frame", "3", "ok"}});
    play("messages queued during the probe follow the poll until the upgrade",
         {{"probe", "2probe", "3probe"}, {"send", "a", ""}, {"poll", "", "answer:4a"}});
    play("a probe alone does not move the session",
         {{"probe", "2probe", "3probe"}, {"state", "", "polling"}});
    play("a WebSocket session: frames, a close packet",
         {{"send", "m", ""}, {"ws", "", "4m"}, {"frame", "4n", "ok:n"}, {"frame", "1", "ok"},
          {"state", "", "closed:transport close"}, {"ws", "", ""}},
         4, eio::transport_kind::websocket);
}

BOOST_AUTO_TEST_CASE(probing_is_allowed_once_and_from_polling_only)
{
    eio::settings config;
    eio::session s("sid", 4, eio::transport_kind::polling, config);
    BOOST_TEST(s.can_probe());
    s.start_probe();
    BOOST_TEST(!s.can_probe());
    s.probe_failed();
    BOOST_TEST(s.can_probe());
    eio::session ws("sid", 4, eio::transport_kind::websocket, config);
    BOOST_TEST(!ws.can_probe());
}

BOOST_AUTO_TEST_SUITE_END()
