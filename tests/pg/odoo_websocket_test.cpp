// Odoo 16-18's /websocket through the built server on a real database, with a raw-socket
// WebSocket client: subscribe replays and then delivers live rows, rows that commit out of
// id order come once, sessions are checked (4001), the rate limit (1013), bad messages
// (1003), shutdown (1001), the HTTP routes beside it, and one bus_bus read per wake-up for
// long polls and WebSockets together.
#include "tests/support/bus_client.hpp"
#include "tests/support/odoo_server.hpp"
#include "tests/support/websocket_client.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <stdlib.h>

#include <ctime>
#include <filesystem>
#include <sstream>
#include <thread>

namespace json = boost::json;
using lp::test::http_connection;
using lp::test::poll_body;
using lp::test::start_poll;
using lp::test::websocket_client;

namespace {
struct fixture : lp::test::odoo_server_fixture {
    fixture() : odoo_server_fixture("lp_odoows") {}

    lp::test::server_process start_odoo(std::vector<std::string> extra = {})
    {
        std::vector<std::string> args{"--odoo-version", "17", "--stats", "True"};
        args.insert(args.end(), extra.begin(), extra.end());
        return start(args);
    }

    /// /websocket as Odoo's worker opens it, with the session cookie when `sid` is given.
    static websocket_client open(std::uint16_t port, std::string const& sid = "")
    {
        std::string headers = "Origin: http://127.0.0.1\r\n";
        if (!sid.empty())
            headers += "Cookie: session_id=" + sid + "\r\n";
        return websocket_client(port, "/websocket?version=17.0-1", std::chrono::seconds(10), headers);
    }

    static std::string subscribe(std::string const& channels, std::int64_t last)
    {
        return R"({"event_name":"subscribe","data":{"channels":)" + channels + R"(,"last":)" + std::to_string(last) + "}}";
    }

    /// The next dispatch: a text frame holding a JSON array of {id, message}.
    static json::array next_dispatch(websocket_client& ws)
    {
        auto frame = ws.read_frame();
        BOOST_REQUIRE_MESSAGE(frame, "no frame from the server");
        BOOST_REQUIRE_MESSAGE(frame->op == lp::ws::opcode::text,
                              "not a text frame (close code " << frame->close_code() << ")");
        auto value = json::parse(frame->payload);
        BOOST_REQUIRE(value.is_array());
        return value.as_array();
    }

    /// The type of the one row the next dispatch holds.
    static std::string only_type(websocket_client& ws)
    {
        auto rows = next_dispatch(ws);
        BOOST_REQUIRE_EQUAL(rows.size(), 1u);
        return std::string(rows[0].at("message").at("type").as_string());
    }

    /// Subscribes `ws` to `channel` and waits for the replay of a row sent on it first: from
    /// then on the subscription is live.
    void subscribe_live(websocket_client& ws, std::string const& channel)
    {
        send(channel, R"({"type":"replayed","payload":0})");
        ws.send_text(subscribe("[\"" + channel + "\"]", max_id() - 1));
        BOOST_REQUIRE_EQUAL(next_dispatch(ws).size(), 1u);
    }

    /// The code of the close frame the server sends next (0 when none comes).
    static int close_code_of(websocket_client& ws)
    {
        auto close = ws.read_until_close();
        return close ? close->close_code() : 0;
    }

    /// The code of the close frame that must come next, no data frame before it (0 when none comes).
    static int close_code_without_data(websocket_client& ws)
    {
        while (auto frame = ws.read_frame()) {
            if (frame->op == lp::ws::opcode::close)
                return frame->close_code();
            BOOST_TEST((frame->op != lp::ws::opcode::text && frame->op != lp::ws::opcode::binary),
                       "a data frame came before the close: " << frame->payload);
        }
        return 0;
    }

    static std::vector<std::int64_t> ids_of(json::array const& rows)
    {
        std::vector<std::int64_t> ids;
        for (auto const& row : rows)
            ids.push_back(row.at("id").as_int64());
        return ids;
    }

    std::int64_t max_id() { return std::stoll(db.exec("SELECT COALESCE(max(id), 0) FROM bus_bus")); }

    /// A row on the string channel `channel` (Odoo 15+'s ["db","channel"]) and its NOTIFY.
    void send(std::string const& channel, std::string const& message_json)
    {
        lp::test::odoo15_send(db, channel, message_json);
    }

    void delete_session_file(std::string const& sid)
    {
        std::filesystem::remove(data_dir.path() / "sessions" / sid.substr(0, 2) / sid);
    }

    /// WebSocket clients subscribed on this database (the stats route).
    std::int64_t subscribed(std::uint16_t port)
    {
        auto const r = lp::test::http_request(port, "GET", "/openerplongpolling/stats");
        BOOST_REQUIRE_EQUAL(r.status, 200u);
        return json::parse(r.body).at("databases").at(db.name()).at("websockets").at("subscribed").as_int64();
    }

    /// Session lookups the database's WebSockets made (the stats route).
    std::int64_t session_lookups(std::uint16_t port)
    {
        auto const r = lp::test::http_request(port, "GET", "/openerplongpolling/stats");
        BOOST_REQUIRE_EQUAL(r.status, 200u);
        return json::parse(r.body).at("databases").at(db.name()).at("websockets").at("session_lookups").as_int64();
    }

    /// Subscribes answered from the hub's memory, without a read (the stats route).
    std::int64_t replays_from_memory(std::uint16_t port)
    {
        auto const r = lp::test::http_request(port, "GET", "/openerplongpolling/stats");
        BOOST_REQUIRE_EQUAL(r.status, 200u);
        return json::parse(r.body).at("databases").at(db.name()).at("websockets").at("replays_from_memory").as_int64();
    }

    /// The reads a subscribe's replay makes (the newest id, the rows after `last`): the shapes
    /// no fetch of new rows has once the bus knows the newest id, with no poll arriving.
    std::int64_t replay_shaped_reads()
    {
        lp::test::wait_cursors_idle(db);
        return std::stoll(db.exec("SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements WHERE dbid = (SELECT oid"
                                  " FROM pg_database WHERE datname = current_database()) AND"
                                  " (query LIKE 'SELECT id, channel, message, create_date >%'"
                                  " OR query LIKE 'SELECT COALESCE(max(id), %) FROM bus_bus')")); // (constants are $n there)
    }

    /// A first socket on `channel`, which starts the hub, and a row it gets live: the reads
    /// that start brings are over.
    websocket_client first_socket(std::uint16_t port, std::string const& channel)
    {
        auto ws = open(port);
        subscribe_live(ws, channel);
        send(channel, R"({"type":"settle","payload":0})");
        BOOST_REQUIRE_EQUAL(only_type(ws), "settle");
        return ws;
    }

    /// Every read of bus_bus, whatever its shape (the tests' own inserts are not reads).
    std::int64_t bus_reads()
    {
        lp::test::wait_cursors_idle(db);
        return std::stoll(db.exec("SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements WHERE dbid = (SELECT oid"
                                  " FROM pg_database WHERE datname = current_database()) AND"
                                  " query LIKE '%FROM bus_bus%' AND query NOT LIKE 'INSERT%'"));
    }
};
} // namespace

BOOST_FIXTURE_TEST_SUITE(odoo_websocket, fixture)

BOOST_AUTO_TEST_CASE(subscribe_replays_then_delivers_live_rows)
{
    auto server = start_odoo();
    send("news", R"({"type":"old","payload":0})");
    auto const old_id = max_id();
    send("news", R"({"type":"replayed","payload":1})");
    auto ws = open(server.port(), admin_session());
    ws.send_text(subscribe(R"(["news"])", old_id));
    auto replay = next_dispatch(ws);
    BOOST_REQUIRE_EQUAL(replay.size(), 1u); // the rows after last only
    BOOST_TEST(replay[0].at("id").as_int64() == old_id + 1);
    BOOST_TEST(json::serialize(replay[0].at("message")) == R"({"type":"replayed","payload":1})");
    BOOST_TEST(replay[0].as_object().size() == 2u); // {id, message}

    // Live: the client's channel, broadcast, and the user's partner channel (a hook's).
    send("news", R"({"type":"live","payload":2})");
    BOOST_TEST(only_type(ws) == "live");
    send("broadcast", R"({"type":"everyone","payload":3})");
    BOOST_TEST(next_dispatch(ws)[0].at("message").at("type").as_string() == "everyone");
    db.exec("INSERT INTO bus_bus (channel, message, create_date) VALUES ('[\"" + db.name()
            + "\",\"res.partner\",2]', '{\"type\":\"mine\",\"payload\":4}', now() at time zone 'utc')");
    lp::test::pg_admin("postgres").exec("NOTIFY imbus, '[]'");
    BOOST_TEST(next_dispatch(ws)[0].at("message").at("type").as_string() == "mine");
    send("elsewhere", R"({"type":"not subscribed","payload":5})");

    // A new subscribe replaces the channels; a last id above the newest row restarts from 0
    // (the rows of the last bus timeout), less those this socket was sent in the last 10 s
    // (the broadcast and partner rows above): no row goes to a socket twice.
    ws.send_text(subscribe(R"(["elsewhere"])", max_id() + 1000));
    BOOST_TEST(only_type(ws) == "not subscribed");
    send("news", R"({"type":"no longer","payload":6})");
    send("elsewhere", R"({"type":"now","payload":7})");
    BOOST_TEST(only_type(ws) == "now");
}

BOOST_AUTO_TEST_CASE(public_socket_without_session)
{
    auto server = start_odoo();
    auto ws = open(server.port(), "0123456789abcdef0123456789abcdef01234567"); // unknown: public
    subscribe_live(ws, "pub");
    send("pub", R"({"type":"b","payload":2})");
    BOOST_TEST(ids_of(next_dispatch(ws)) == std::vector<std::int64_t>{max_id()});
    // A last id of any size above the newest (here a float) counts as 0: the recent rows.
    send("pub2", R"({"type":"c","payload":3})");
    ws.send_text(R"({"event_name":"subscribe","data":{"channels":["pub2"],"last":1e300}})");
    BOOST_TEST(ids_of(next_dispatch(ws)) == std::vector<std::int64_t>{max_id()});
}

BOOST_AUTO_TEST_CASE(odoo_18_sessions_with_the_new_and_the_legacy_token)
{
    auto server = start_odoo({"--odoo-version", "18"});
    send("broadcast", R"({"type":"all","payload":0})");
    auto const first = max_id();
    db.exec("INSERT INTO bus_bus (channel, message, create_date) VALUES ('[\"" + db.name()
            + "\",\"res.partner\",2]', '{\"type\":\"mine\",\"payload\":1}', now() at time zone 'utc')");
    auto const secret = " --secret " + std::string(lp::test::demo_secret);
    // Logged in (84-character ids, JSON and pickle files): the partner channel is theirs too.
    for (auto const* form : {"--token-format 18 --sid-format 84 --format json", "--token-format 18-legacy --sid-format 84"}) {
        auto ws = open(server.port(), make_session("--uid 2 --login admin --password admin" + secret + " " + form));
        ws.send_text(subscribe("[]", first - 1));
        BOOST_TEST(next_dispatch(ws).size() == 2u, form);
    }
    // A token keyed with another secret: the public user, who gets broadcast only.
    auto forged = open(server.port(), make_session("--uid 2 --login admin --password admin --secret wrong --token-format 18"));
    forged.send_text(subscribe("[]", first - 1));
    BOOST_TEST(next_dispatch(forged).size() == 1u);
}

BOOST_AUTO_TEST_CASE(public_samesite_downgrades_a_cross_origin_socket)
{
    send("broadcast", R"({"type":"all","payload":0})");
    auto const first = max_id();
    db.exec("INSERT INTO bus_bus (channel, message, create_date) VALUES ('[\"" + db.name()
            + "\",\"res.partner\",2]', '{\"type\":\"mine\",\"payload\":1}', now() at time zone 'utc')");
    auto const sid = admin_session();
    // The rows a socket from `origin` gets: 2 as the admin (broadcast and the partner's), 1 as the public user.
    auto rows_from = [&](std::uint16_t port, std::string const& origin) {
        websocket_client ws(port, "/websocket?version=17.0-1", std::chrono::seconds(10),
                            "Origin: " + origin + "\r\nCookie: session_id=" + sid + "\r\n");
        ws.send_text(subscribe("[]", first - 1));
        return next_dispatch(ws).size();
    };
    {
        auto server = start_odoo();
        BOOST_TEST(rows_from(server.port(), "http://elsewhere.example") == 2u); // unset: no downgrade
    }
    setenv("ODOO_BUS_PUBLIC_SAMESITE_WS", "1", 1);
    auto server = start_odoo();
    unsetenv("ODOO_BUS_PUBLIC_SAMESITE_WS");
    BOOST_TEST(rows_from(server.port(), "http://127.0.0.1") == 2u); // the handshake's Host
    BOOST_TEST(rows_from(server.port(), "http://elsewhere.example") == 1u);
    BOOST_TEST(rows_from(server.port(), "https://127.0.0.1") == 1u); // another scheme
    BOOST_TEST(rows_from(server.port(), "null") == 1u);
}

BOOST_AUTO_TEST_CASE(rows_committed_out_of_id_order_come_exactly_once)
{
    auto server = start_odoo();
    auto ws = open(server.port(), admin_session());
    subscribe_live(ws, "order");

    // Two transactions: the lower id commits last.
    auto const key = "'[\"" + db.name() + "\",\"order\"]'";
    lp::test::pg_admin early(db.name()), late(db.name());
    early.exec("BEGIN");
    early.exec("INSERT INTO bus_bus (channel, message, create_date) VALUES (" + key
               + ", '{\"type\":\"low\",\"payload\":1}', now() at time zone 'utc')");
    late.exec("BEGIN");
    late.exec("INSERT INTO bus_bus (channel, message, create_date) VALUES (" + key
              + ", '{\"type\":\"high\",\"payload\":2}', now() at time zone 'utc')");
    late.exec("NOTIFY imbus, '[[\"" + db.name() + "\",\"order\"]]'");
    late.exec("COMMIT");
    auto high = next_dispatch(ws);
    BOOST_REQUIRE_EQUAL(high.size(), 1u);
    BOOST_TEST(high[0].at("message").at("type").as_string() == "high");
    early.exec("NOTIFY imbus, '[[\"" + db.name() + "\",\"order\"]]'");
    early.exec("COMMIT");
    auto low = next_dispatch(ws);
    BOOST_REQUIRE_EQUAL(low.size(), 1u);
    BOOST_TEST(low[0].at("message").at("type").as_string() == "low");
    BOOST_TEST(low[0].at("id").as_int64() < high[0].at("id").as_int64());

    // Neither comes again: the next dispatch holds the next row only.
    send("order", R"({"type":"next","payload":3})");
    BOOST_TEST(only_type(ws) == "next");
}

BOOST_AUTO_TEST_CASE(a_first_subscriber_gets_a_lower_id_that_commits_after_its_replay)
{
    auto server = start_odoo(); // no WebSocket yet: this subscribe is where the hub starts
    auto const key = "'[\"" + db.name() + "\",\"race\"]'";
    send("race", R"({"type":"seen","payload":0})");
    auto const seen = max_id(); // the client has it
    lp::test::pg_admin early(db.name());
    early.exec("BEGIN");
    early.exec("INSERT INTO bus_bus (channel, message, create_date) VALUES (" + key
               + ", '{\"type\":\"low\",\"payload\":1}', now() at time zone 'utc')");
    send("race", R"({"type":"high","payload":2})");
    auto const high = max_id();
    auto ws = open(server.port(), admin_session());
    ws.send_text(subscribe(R"(["race"])", seen));
    BOOST_TEST(ids_of(next_dispatch(ws)) == std::vector<std::int64_t>{high}); // the replay
    early.exec("NOTIFY imbus, '[[\"" + db.name() + "\",\"race\"]]'");
    early.exec("COMMIT"); // a lower id, after the replay read the newest
    BOOST_TEST(only_type(ws) == "low");
    send("race", R"({"type":"next","payload":3})");
    BOOST_TEST(only_type(ws) == "next"); // and nothing twice
}

BOOST_AUTO_TEST_CASE(logout_closes_with_4001_before_the_next_dispatch)
{
    auto server = start_odoo();
    auto const sid = admin_session();
    auto ws = open(server.port(), sid);
    subscribe_live(ws, "out");
    delete_session_file(sid); // Odoo's logout
    send("out", R"({"type":"b","payload":2})");
    BOOST_TEST(close_code_without_data(ws) == 4001);
}

BOOST_AUTO_TEST_CASE(odoo_18_deletion_time_closes_with_4001_and_a_deleted_session_is_public)
{
    auto server = start_odoo({"--odoo-version", "18"});
    auto const admin = "--uid 2 --login admin --password admin --token-format 18 --secret "
                     + std::string(lp::test::demo_secret);
    auto const sid = make_session(admin);
    auto ws = open(server.port(), sid);
    subscribe_live(ws, "rotated");
    // Odoo 18 rotates the session: the old file gets a deletion_time that has come.
    make_session(admin + " --sid " + sid + " --set deletion_time=" + std::to_string(std::time(nullptr) - 1));
    send("rotated", R"({"type":"b","payload":2})");
    BOOST_TEST(close_code_without_data(ws) == 4001);
    // A socket opened with it is the public user's: no partner channel.
    auto again = open(server.port(), sid);
    db.exec("INSERT INTO bus_bus (channel, message, create_date) VALUES ('[\"" + db.name()
            + "\",\"res.partner\",2]', '{\"type\":\"mine\",\"payload\":1}', now() at time zone 'utc')");
    auto const mine = max_id();
    send("rotated", R"({"type":"c","payload":3})");
    again.send_text(subscribe(R"(["rotated"])", mine - 1));
    BOOST_TEST(only_type(again) == "c");
}

BOOST_AUTO_TEST_CASE(a_wake_up_checks_each_session_once)
{
    auto server = start_odoo();
    auto const admin = admin_session();
    auto const demo = make_session("--uid 3 --login demo --password demo --secret " + std::string(lp::test::demo_secret));
    send("tabs", R"({"type":"seed","payload":0})");
    auto const seed = max_id();
    std::vector<websocket_client> tabs; // twenty of one user, ten of another, ten public
    for (int i = 0; i < 40; ++i) {
        tabs.push_back(open(server.port(), i < 20 ? admin : i < 30 ? demo : ""));
        tabs.back().send_text(subscribe(R"(["tabs"])", seed - 1));
        BOOST_REQUIRE_EQUAL(next_dispatch(tabs.back()).size(), 1u);
    }
    auto const before = session_lookups(server.port());
    send("tabs", R"({"type":"t","payload":1})");
    for (auto& ws : tabs)
        BOOST_TEST(only_type(ws) == "t");
    BOOST_TEST(session_lookups(server.port()) - before == 2); // one per session, none for the public
}

BOOST_AUTO_TEST_CASE(password_change_closes_with_4001_on_the_next_message)
{
    auto server = start_odoo();
    auto ws = open(server.port(), admin_session());
    subscribe_live(ws, "pw");
    db.exec("UPDATE res_users SET password = 'changed' WHERE id = 2");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500)); // the user cache re-reads rows after 1 s
    ws.send_text(R"({"event_name":"update_presence","data":{"inactivity_period":0,"im_status_ids_by_model":{}}})");
    BOOST_TEST(close_code_without_data(ws) == 4001);
}

BOOST_AUTO_TEST_CASE(deactivation_closes_with_4001_before_the_next_dispatch)
{
    auto server = start_odoo({"--odoo-version", "16"});
    auto ws = open(server.port(), admin_session());
    subscribe_live(ws, "gone");
    db.exec("UPDATE res_users SET active = false WHERE id = 2");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500)); // the user cache re-reads rows after 1 s
    send("gone", R"({"type":"b","payload":2})");
    BOOST_TEST(close_code_without_data(ws) == 4001);
}

BOOST_AUTO_TEST_CASE(update_presence_writes_the_presence_row)
{
    auto server = start_odoo();
    auto ws = open(server.port(), admin_session());
    db.exec("DELETE FROM bus_presence WHERE user_id = 2");
    ws.send_text(R"({"event_name":"update_presence","data":{"inactivity_period":120000,"im_status_ids_by_model":{}}})");
    std::string found;
    for (int i = 0; i < 200 && found != "1"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
        found = db.exec("SELECT count(*) FROM bus_presence WHERE user_id = 2 AND last_presence < last_poll"
                        " - interval '100 seconds'");
    }
    BOOST_TEST(found == "1");
}

BOOST_AUTO_TEST_CASE(update_presence_shares_the_poll_presence_limit_and_counts_it)
{
    auto server = start_odoo({"--write-rate-per-ip", "1", "--metrics", "True"});
    auto ws = open(server.port(), admin_session());
    auto const presence_rate_hits = [&] {
        auto const body = lp::test::http_request(server.port(), "GET", "/metrics").body;
        auto const at = body.find("lp_limits_hit_total{limit=\"presence_rate\"} ");
        BOOST_REQUIRE(at != std::string::npos);
        return body.substr(at, body.find('\n', at) - at);
    };
    auto const report = [&] {
        ws.send_text(R"({"event_name":"update_presence","data":{"inactivity_period":0,"im_status_ids_by_model":{}}})");
    };
    // The first report takes the user's one write of the minute...
    report();
    std::string written;
    for (int i = 0; i < 200 && written != "1"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
        written = db.exec("SELECT count(*) FROM bus_presence WHERE user_id = 2");
    }
    BOOST_REQUIRE(written == "1");
    // ...so the next is refused without a write, and counted.
    db.exec("UPDATE bus_presence SET last_poll = '2000-01-01' WHERE user_id = 2");
    report();
    std::string hits;
    for (int i = 0; i < 200 && hits != "lp_limits_hit_total{limit=\"presence_rate\"} 1"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
        hits = presence_rate_hits();
    }
    BOOST_TEST(hits == "lp_limits_hit_total{limit=\"presence_rate\"} 1");
    BOOST_TEST(db.exec("SELECT extract(year FROM last_poll)::int FROM bus_presence WHERE user_id = 2") == "2000");
}

BOOST_AUTO_TEST_CASE(odoo_16_answers_im_status_ids_by_model_on_the_partner_channel)
{
    auto server = start_odoo({"--odoo-version", "16", "--bus-max-channels", "5"});
    auto ws = open(server.port(), admin_session());
    subscribe_live(ws, "status");
    ws.send_text(R"({"event_name":"update_presence","data":{"inactivity_period":0,"im_status_ids_by_model":{"res.partner":[2,3]}}})");
    auto rows = next_dispatch(ws);
    BOOST_REQUIRE_EQUAL(rows.size(), 1u);
    auto const& message = rows[0].at("message");
    BOOST_TEST(message.at("type").as_string() == "mail.record/insert");
    // The admin has just polled (online); demo has no presence row (offline).
    BOOST_TEST(json::serialize(message.at("payload")) == R"({"Partner":[{"id":2,"im_status":"online"},{"id":3,"im_status":"offline"}]})");
    BOOST_TEST(db.exec("SELECT channel FROM bus_bus ORDER BY id DESC LIMIT 1") == "[\"" + db.name() + "\",\"res.partner\",2]");
    // More ids than bus_max_channels: a bad message (1003), here and over HTTP (400).
    ws.send_text(R"({"event_name":"update_presence","data":{"inactivity_period":0,"im_status_ids_by_model":{"res.partner":[1,2,3,4,5,6]}}})");
    BOOST_TEST(close_code_without_data(ws) == 1003);
    auto http = lp::test::http_request(server.port(), "POST", "/websocket/update_bus_presence",
                                       R"({"jsonrpc":"2.0","method":"call","params":{"inactivity_period":0,)"
                                       R"("im_status_ids_by_model":{"res.partner":[1,2,3,4,5,6]}},"id":1})",
                                       "Content-Type: application/json\r\nCookie: session_id=" + admin_session() + "\r\n");
    BOOST_TEST(http.body.find("bus_max_channels") != std::string::npos, http.body);
}

BOOST_AUTO_TEST_CASE(odoo_17_presence_channels)
{
    auto server = start_odoo();
    auto user = open(server.port(), admin_session());
    auto anonymous = open(server.port());
    auto portal = open(server.port(), make_session("--uid 4 --login portal --password portal --secret "
                                                   + std::string(lp::test::demo_secret)));
    send("presence-seed", R"({"type":"seed","payload":0})");
    auto const seed = max_id();
    for (auto* ws : {&user, &anonymous, &portal}) {
        ws->send_text(subscribe(R"(["presence-seed","odoo-presence-res.partner_3"])", seed - 1));
        BOOST_REQUIRE_EQUAL(next_dispatch(*ws).size(), 1u);
    }
    // Odoo sends a partner's status on ["db","res.partner",3,"presence"]: the user hears it.
    db.exec("INSERT INTO bus_bus (channel, message, create_date) VALUES ('[\"" + db.name()
            + "\",\"res.partner\",3,\"presence\"]', '{\"type\":\"bus.bus/im_status_updated\",\"payload\":{}}',"
              " now() at time zone 'utc')");
    send("presence-seed", R"({"type":"after","payload":1})"); // (its NOTIFY reads both rows)
    std::vector<std::string> heard;
    for (auto const& row : next_dispatch(user))
        heard.emplace_back(row.at("message").at("type").as_string());
    BOOST_TEST(heard == (std::vector<std::string>{"bus.bus/im_status_updated", "after"}));
    // The public user and a portal user (res_users.share) do not: Odoo gives presence channels
    // to internal users only.
    BOOST_TEST(only_type(anonymous) == "after");
    BOOST_TEST(only_type(portal) == "after");
}

BOOST_AUTO_TEST_CASE(odoo_18_presence_goes_to_mail_presence)
{
    // Odoo 18's table: user or guest, each unique through a partial index.
    db.exec("CREATE TABLE mail_presence (id serial PRIMARY KEY, user_id integer REFERENCES res_users (id),"
            " guest_id integer, last_poll timestamp, last_presence timestamp, status varchar)");
    db.exec("CREATE UNIQUE INDEX mail_presence_user_unique ON mail_presence (user_id) WHERE user_id IS NOT NULL");
    db.exec("CREATE UNIQUE INDEX mail_presence_guest_unique ON mail_presence (guest_id) WHERE guest_id IS NOT NULL");
    auto server = start_odoo({"--odoo-version", "18", "--write-rate-per-ip", "0"});
    auto ws = open(server.port(), admin_session());
    auto presence_after = [&](int inactivity_ms, std::string const& expected) {
        ws.send_text(R"({"event_name":"update_presence","data":{"inactivity_period":)" + std::to_string(inactivity_ms) + "}}");
        std::string found;
        for (int i = 0; i < 200 && found != expected; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
            found = db.exec("SELECT count(*) || '/' || bool_and(last_poll - last_presence < interval '10 seconds')"
                            " FROM mail_presence WHERE user_id = 2");
        }
        return found;
    };
    BOOST_TEST(presence_after(3600000, "1/false") == "1/false"); // inserted: idle for an hour
    BOOST_TEST(presence_after(0, "1/true") == "1/true");         // the same row, present now
}

BOOST_AUTO_TEST_CASE(too_fast_is_closed_with_1013)
{
    auto server = start_odoo();
    auto ws = open(server.port());
    for (int i = 0; i < 11; ++i)
        ws.send_text(R"({"event_name":"nothing","data":{}})");
    BOOST_TEST(close_code_of(ws) == 1013);
    // Within the limit, nothing happens: ten messages, then one after burst × delay.
    auto calm = open(server.port());
    for (int i = 0; i < 10; ++i)
        calm.send_text(R"({"event_name":"nothing","data":{}})");
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    subscribe_live(calm, "calm");
}

BOOST_AUTO_TEST_CASE(bad_messages_are_closed_with_1003)
{
    auto server = start_odoo();
    for (auto const* bad : {"not json", R"({"data":{}})", "[1,2]", R"({"event_name":"subscribe","data":{"channels":[1]}})"}) {
        auto ws = open(server.port());
        ws.send_text(bad);
        BOOST_TEST(close_code_of(ws) == 1003, bad);
    }
    // Odoo's handshake needs an Origin.
    lp::test::http_connection raw(server.port());
    raw.send(lp::test::handshake_request("/websocket"));
    BOOST_TEST(raw.read_response().status == 400);
}

BOOST_AUTO_TEST_CASE(an_outdated_worker_is_closed_with_1000_outdated_version)
{
    auto server = start_odoo({"--websocket-worker-version", "17.0-1"});
    auto with = [&](std::string const& version, std::string const& headers) {
        return websocket_client(server.port(), "/websocket?version=" + version, std::chrono::seconds(10),
                                "Origin: http://127.0.0.1\r\n" + headers);
    };
    std::string const browser = "User-Agent: Mozilla/5.0\r\n";
    auto outdated = with("16.0-3", browser);
    auto close = outdated.read_frame();
    BOOST_REQUIRE(close);
    BOOST_TEST((close->op == lp::ws::opcode::close)); // at once, before any message
    BOOST_TEST(close->close_code() == 1000);
    BOOST_TEST(close->payload.substr(2) == "OUTDATED_VERSION");
    // The worker of the configured version, and a client without a User-Agent (an IoT box), are served.
    auto current = with("17.0-1", browser);
    subscribe_live(current, "current");
    auto iot = with("", "");
    subscribe_live(iot, "iot");
}

BOOST_AUTO_TEST_CASE(odoo_16_and_an_unset_worker_version_check_no_version)
{
    for (auto const* args : {"--odoo-version 16 --websocket-worker-version 17.0-1", "--odoo-version 18"}) {
        std::vector<std::string> split;
        std::istringstream in(args);
        for (std::string word; in >> word;)
            split.push_back(word);
        auto server = start_odoo(split);
        auto ws = websocket_client(server.port(), "/websocket?version=old", std::chrono::seconds(10),
                                   "Origin: http://127.0.0.1\r\nUser-Agent: Mozilla/5.0\r\n");
        subscribe_live(ws, "any");
    }
}

BOOST_AUTO_TEST_CASE(shutdown_closes_with_1001)
{
    auto server = start_odoo();
    auto a = open(server.port(), admin_session());
    auto b = open(server.port());
    subscribe_live(a, "s");
    auto const asked = std::chrono::steady_clock::now();
    kill(server.pid(), SIGTERM);
    for (auto* ws : {&a, &b})
        BOOST_TEST(close_code_of(*ws) == 1001);
    BOOST_TEST((std::chrono::steady_clock::now() - asked < std::chrono::seconds(1)));
}

BOOST_AUTO_TEST_CASE(health_and_peek_notifications)
{
    auto server = start_odoo();
    auto health = lp::test::http_request(server.port(), "GET", "/websocket/health");
    BOOST_TEST(health.status == 200);
    BOOST_TEST(json::parse(health.body).at("status").as_string() == "pass");

    send("peek", R"({"type":"a","payload":1})");
    auto const id = max_id();
    auto const cookie = "Content-Type: application/json\r\nCookie: session_id=" + admin_session() + "\r\n";
    auto peek = lp::test::http_request(server.port(), "POST", "/websocket/peek_notifications",
                                       R"({"jsonrpc":"2.0","method":"call","params":{"channels":["peek"],"last":)"
                                           + std::to_string(id - 1) + R"(,"is_first_poll":true},"id":1})",
                                       cookie);
    BOOST_REQUIRE_MESSAGE(peek.status == 200, peek.body);
    auto const result = json::parse(peek.body).at("result");
    auto const& channels = result.at("channels").as_array();
    BOOST_TEST(std::count(channels.begin(), channels.end(), json::array{json::string(db.name()), "peek"}) == 1);
    BOOST_TEST(std::count(channels.begin(), channels.end(), json::array{json::string(db.name()), "broadcast"}) == 1);
    BOOST_TEST(std::count(channels.begin(), channels.end(), json::array{json::string(db.name()), "res.partner", 2}) == 1);
    BOOST_TEST(ids_of(result.at("notifications").as_array()) == std::vector<std::int64_t>{id});

    auto presence = lp::test::http_request(server.port(), "POST", "/websocket/update_bus_presence",
                                           R"({"jsonrpc":"2.0","method":"call","params":{"inactivity_period":0,)"
                                           R"("im_status_ids_by_model":{}},"id":1})",
                                           cookie);
    BOOST_TEST(presence.status == 200);
    BOOST_TEST(json::parse(presence.body).at("result") == json::object{});
}

BOOST_AUTO_TEST_CASE(peek_notifications_needs_a_first_poll_as_odoo)
{
    auto server = start_odoo({"--odoo-version", "18"});
    auto const call = [&](std::string const& sid, std::string const& path, std::string const& params) {
        auto reply = lp::test::http_request(server.port(), "POST", path,
                                            R"({"jsonrpc":"2.0","method":"call","params":)" + params + R"(,"id":1})",
                                            "Content-Type: application/json\r\nCookie: session_id=" + sid + "\r\n");
        BOOST_TEST(reply.status == 200u); // JSON-RPC errors come with 200, as Odoo's
        return json::parse(reply.body).as_object();
    };
    auto const expired = [](json::object const& reply) {
        auto const* error = reply.if_contains("error");
        return error && error->at("code") == 100
            && error->at("data").at("name") == "odoo.http.SessionExpiredException";
    };
    std::string const peek = "/websocket/peek_notifications";
    std::string const presence = "/websocket/update_bus_presence";
    std::string const later = R"({"channels":[],"last":0})";
    std::string const first = R"({"channels":[],"last":0,"is_first_poll":true})";
    std::string const status = R"({"inactivity_period":0,"im_status_ids_by_model":{}})";

    // A session that never made a first poll has expired for both routes (Odoo raises
    // SessionExpiredException: the page reloads).
    auto const sid = admin_session();
    BOOST_TEST(expired(call(sid, peek, later)));
    BOOST_TEST(expired(call(sid, presence, status)));
    // The first poll marks it; then both answer.
    BOOST_TEST(call(sid, peek, first).contains("result"));
    BOOST_TEST(call(sid, peek, later).contains("result"));
    BOOST_TEST(call(sid, presence, status).contains("result"));
    // The mark Odoo stored in the session file counts as well.
    auto const marked = make_session("--uid 2 --login admin --password admin --secret "
                                     + std::string(lp::test::demo_secret) + " --set is_websocket_session=true");
    BOOST_TEST(call(marked, peek, later).contains("result"));
    // A public session too (the mark is the session id's).
    std::string const anonymous(40, 'a');
    BOOST_TEST(expired(call(anonymous, peek, later)));
    BOOST_TEST(call(anonymous, peek, first).contains("result"));
    BOOST_TEST(call(anonymous, peek, later).contains("result"));
}

BOOST_AUTO_TEST_CASE(polls_and_websockets_share_one_read_per_wake_up)
{
    lp::test::raise_descriptor_limit();
    db.exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    auto server = start_odoo();
    auto const sid = admin_session();
    send("ws-seed", R"({"type":"seed","payload":0})");
    auto const seed = max_id();
    std::vector<websocket_client> sockets;
    for (int i = 0; i < 100; ++i) {
        sockets.push_back(open(server.port(), i % 2 ? sid : ""));
        sockets.back().send_text(subscribe(R"(["mixed","ws-seed"])", seed - 1));
        BOOST_REQUIRE_EQUAL(next_dispatch(sockets.back()).size(), 1u); // subscribed: the replay came
    }
    // First polls: read once at arrival, then parked (nothing on "mixed" yet).
    std::vector<http_connection> polls;
    for (int i = 0; i < 100; ++i)
        polls.push_back(start_poll(server.port(), poll_body(R"(["mixed"])", 0)));
    lp::test::wait_parked(server.port(), db.name(), 100);
    BOOST_TEST(subscribed(server.port()) == 100);
    auto const before = bus_reads();
    send("mixed", R"({"type":"t","payload":1})");
    for (auto& ws : sockets) {
        auto rows = next_dispatch(ws);
        BOOST_REQUIRE_EQUAL(rows.size(), 1u);
        BOOST_TEST(rows[0].at("id").as_int64() == seed + 1);
    }
    for (auto& p : polls) {
        auto r = p.read_response();
        BOOST_REQUIRE_EQUAL(r.status, 200);
        BOOST_TEST(json::parse(r.body).at("result").as_array().size() == 1u);
    }
    auto const reads = bus_reads() - before;
    BOOST_TEST_MESSAGE("bus_bus reads for one wake-up of 100 polls and 100 WebSockets: " << reads);
    BOOST_TEST(reads == 1);

    // Clients that leave leave the index.
    sockets.clear();
    for (int i = 0; i < 500 && subscribed(server.port()) != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    BOOST_TEST(subscribed(server.port()) == 0);
}

BOOST_AUTO_TEST_CASE(subscribes_that_come_together_share_their_read)
{
    lp::test::raise_descriptor_limit();
    db.exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    auto server = start_odoo({"--max-cursor", "8"}); // two wait on the lock below; sessions need one
    send("storm", R"({"type":"a","payload":1})");
    auto const row = max_id();
    auto replay_reads = [&] {
        lp::test::wait_cursors_idle(db);
        return std::stoll(db.exec("SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements WHERE dbid = (SELECT oid"
                                  " FROM pg_database WHERE datname = current_database()) AND"
                                  " query LIKE 'SELECT id, channel, message, create_date >%'"));
    };
    auto const before = replay_reads();
    // bus_bus locked: the first subscribe's read waits, and every other one joins the next.
    lp::test::pg_admin locker(db.name());
    locker.exec("BEGIN");
    locker.exec("LOCK TABLE bus_bus IN ACCESS EXCLUSIVE MODE");
    auto const sid = admin_session();
    std::vector<websocket_client> sockets;
    for (int i = 0; i < 200; ++i) {
        sockets.push_back(open(server.port(), i % 2 ? sid : ""));
        sockets.back().send_text(subscribe(R"(["storm"])", i % 3 ? row - 1 : 0));
    }
    for (int i = 0; i < 1000 && subscribed(server.port()) < 200; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    BOOST_REQUIRE_MESSAGE(subscribed(server.port()) == 200, server.log());
    locker.exec("COMMIT");
    for (auto& ws : sockets)
        BOOST_TEST(ids_of(next_dispatch(ws)) == std::vector<std::int64_t>{row}); // each its own replay
    auto const reads = replay_reads() - before;
    BOOST_TEST_MESSAGE("bus_bus reads for 200 subscribes at once: " << reads);
    BOOST_TEST(reads <= 2);
}

BOOST_AUTO_TEST_CASE(a_subscribe_with_the_newest_id_reads_nothing)
{
    db.exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    auto server = start_odoo();
    auto first = first_socket(server.port(), "newest");
    auto const newest = max_id(); // (the test's own query has a replay's shape: before the count)
    auto const before = replay_shaped_reads();
    auto ws = open(server.port(), admin_session());
    ws.send_text(subscribe(R"(["newest"])", newest)); // a reconnect that missed nothing
    send("newest", R"({"type":"live","payload":1})");
    BOOST_TEST(only_type(ws) == "live"); // no replay frame before it; subscribed
    BOOST_TEST(only_type(first) == "live");
    BOOST_TEST(replay_shaped_reads() - before == 0); // a read would be 2: the newest id, the rows
    BOOST_TEST(replays_from_memory(server.port()) == 1);
}

BOOST_AUTO_TEST_CASE(a_subscribe_within_the_window_gets_the_missed_rows_in_order_without_a_read)
{
    db.exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    auto server = start_odoo();
    auto first = first_socket(server.port(), "window");
    auto const seen = max_id(); // where the reconnecting client left
    // What it misses: a row on another channel, and two rows committing out of id order.
    auto const key = "'[\"" + db.name() + "\",\"window\"]'";
    lp::test::pg_admin early(db.name());
    early.exec("BEGIN");
    early.exec("INSERT INTO bus_bus (channel, message, create_date) VALUES (" + key
               + ", '{\"type\":\"low\",\"payload\":1}', now() at time zone 'utc')");
    send("elsewhere", R"({"type":"not mine","payload":2})");
    send("window", R"({"type":"high","payload":3})");
    BOOST_TEST(only_type(first) == "high");
    early.exec("NOTIFY imbus, '[[\"" + db.name() + "\",\"window\"]]'");
    early.exec("COMMIT");
    BOOST_TEST(only_type(first) == "low");
    send("window", R"({"type":"later","payload":4})");
    BOOST_TEST(only_type(first) == "later");
    auto const missed = db.exec("SELECT string_agg(id::text, ',' ORDER BY id) FROM bus_bus WHERE id > "
                                + std::to_string(seen) + " AND channel = " + key);

    auto const before = replay_shaped_reads();
    auto ws = open(server.port(), admin_session());
    ws.send_text(subscribe(R"(["window"])", seen));
    auto const replay = next_dispatch(ws);
    std::string got;
    for (auto const id : ids_of(replay))
        got += (got.empty() ? "" : ",") + std::to_string(id);
    BOOST_TEST(got == missed); // low, high, later: in id order, each once
    BOOST_REQUIRE_EQUAL(replay.size(), 3u);
    BOOST_TEST(replay[0].at("message").at("type").as_string() == "low");
    send("window", R"({"type":"live","payload":5})");
    BOOST_TEST(only_type(ws) == "live"); // and nothing again
    BOOST_TEST(replay_shaped_reads() - before == 0);
    BOOST_TEST(replays_from_memory(server.port()) == 1);
}

BOOST_AUTO_TEST_CASE(a_last_older_than_the_window_still_reads)
{
    db.exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    // Rows an hour old: settled before the hub started, so not in its memory.
    auto const key = "'[\"" + db.name() + "\",\"old\"]'";
    for (int i = 0; i < 2; ++i)
        db.exec("INSERT INTO bus_bus (channel, message, create_date) VALUES (" + key
                + ", '{\"type\":\"old\",\"payload\":" + std::to_string(i)
                + "}', now() at time zone 'utc' - interval '1 hour')");
    auto const newest_old = max_id();
    auto server = start_odoo();
    auto first = first_socket(server.port(), "old-live");
    auto const before = replay_shaped_reads();
    auto ws = open(server.port(), admin_session());
    ws.send_text(subscribe(R"(["old"])", newest_old - 2));
    BOOST_TEST(ids_of(next_dispatch(ws)) == (std::vector<std::int64_t>{newest_old - 1, newest_old}));
    BOOST_TEST(replay_shaped_reads() - before == 2);
    BOOST_TEST(replays_from_memory(server.port()) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
