// Test support: Odoo's bus as a client and as Odoo sees it: a poll's JSON-RPC body, a poll left
// waiting on its own connection, and a notification sent the way Odoo 15 sends it.
#pragma once

#include "tests/support/http_client.hpp"
#include "tests/support/pg_database.hpp"

#include <boost/json/parse.hpp>

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

/// Waits (up to 5 s) until the server on `port`, started with --stats True, holds `count` polls
/// of `database` parked, with no handler still running; false if it never does.
inline bool wait_until_parked(std::uint16_t port, std::string const& database, std::int64_t count)
{
    for (int i = 0; i < 100; ++i) {
        auto const r = http_request(port, "GET", "/openerplongpolling/stats");
        if (r.status != 200)
            return false;
        auto const stats = boost::json::parse(r.body);
        auto const* bus = stats.at("databases").as_object().if_contains(database);
        if (bus && bus->at("bus").at("waiting").as_int64() == count && stats.at("handlers_running").as_int64() == 0)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

} // namespace lp::test
