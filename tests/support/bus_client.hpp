// Test support: Odoo's bus as a client and as Odoo sees it: a poll's JSON-RPC body, a poll left
// waiting on its own connection, and a notification sent the way Odoo 15 sends it.
#pragma once

#include "tests/support/http_client.hpp"
#include "tests/support/pg_database.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

namespace lp::test {

inline std::string poll_body(std::string const& channels, std::int64_t last, std::string const& options = "{}")
{
    return R"({"jsonrpc":"2.0","method":"call","params":{"channels":)" + channels + R"(,"last":)"
         + std::to_string(last) + R"(,"options":)" + options + R"(},"id":1})";
}

/// Sends a poll on a new connection without waiting for the answer.
inline http_connection start_poll(std::uint16_t port, std::string const& body, std::string const& cookie = "")
{
    http_connection c(port, std::chrono::seconds(90));
    c.send("POST /longpolling/poll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + cookie
           + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    return c;
}

/// Odoo 15's bus.bus._sendone: a bus_bus row, then NOTIFY imbus on the maintenance database.
inline void odoo15_send(test_database& db, std::string const& channel, std::string const& message_json)
{
    auto const key = R"([")" + db.name() + R"(",")" + channel + R"("])";
    db.exec("INSERT INTO bus_bus (channel, message, create_date, write_date) VALUES ('" + key + "', '" + message_json
            + "', now() at time zone 'utc', now() at time zone 'utc')");
    pg_admin("postgres").exec("NOTIFY imbus, '[" + key + "]'");
}

/// Waits until exactly `n` polls of `database` are parked on the bus of the server on `port`
/// (started with --stats True), none still arriving, and no handler runs: the stats route's
/// exact barrier, not a guessed sleep. Fails the test after 30 s.
inline void wait_parked(std::uint16_t port, std::string const& database, std::int64_t n)
{
    auto const until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
        auto const r = http_request(port, "GET", "/openerplongpolling/stats");
        BOOST_REQUIRE_MESSAGE(r.status == 200, "stats: status " << r.status << ": " << r.body);
        auto const stats = boost::json::parse(r.body);
        auto const& bus = stats.at("databases").at(database).at("bus");
        auto const waiting = bus.at("waiting").as_int64();
        if (waiting == n && bus.at("arriving").as_int64() == 0 && stats.at("handlers_running").as_int64() == 0)
            return;
        BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < until, waiting << " polls parked, not " << n);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

/// pg_stat_statements counts a statement when its portal closes, which for a lease is its
/// ROLLBACK, done after the answer has gone out: waits until the server's cursors on `db` are
/// idle, so that a query count read next is complete.
inline void wait_cursors_idle(test_database& db)
{
    for (int i = 0; i < 500; ++i) {
        if (db.exec("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND application_name LIKE 'longpolling-server:%' AND state <> 'idle'")
            == "0")
            return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    BOOST_FAIL("the server's cursors are not idle after 5 s: a query count would be too low");
}

} // namespace lp::test
