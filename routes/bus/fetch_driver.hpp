// The bus core's reads of bus_bus, done with a pooled cursor: the one place its SQL lives.
#pragma once

#include "orm_bridge/database.hpp"
#include "routes/bus/bus_core.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>

namespace lp::bus {

/// Reads what `plan` asks for in one lease: the window part first, then the arrivals part
/// (the core relies on that order). Rows are shaped for `odoo_version`; first polls get the
/// rows created within `timeout`.
/// Errors: pg::error, orm::unavailable (the core retries later).
boost::asio::awaitable<read_result> read_bus(orm::database& db, read_plan plan, int odoo_version,
                                             std::chrono::seconds timeout);

/// What a WebSocket's subscribe reads (Odoo's _poll): bus_bus's newest id, the last id used
/// (0 when the client's was above the newest), and the rows of `keys` after it (with 0: those
/// created within `timeout`), in id order. Also /websocket/peek_notifications.
struct replay_result {
    std::int64_t newest = 0;
    std::int64_t last = 0;
    std::vector<bus_row> rows;
};
boost::asio::awaitable<replay_result> read_replay(orm::database& db, std::vector<std::string> const& keys,
                                                 std::int64_t last, int odoo_version, std::chrono::seconds timeout);

/// A PostgreSQL int8[] literal of `items`.
std::string pg_int_array(std::vector<std::int64_t> const& items);

/// A PostgreSQL text[] literal of `items`, each quoted: for "channel = ANY($1::varchar[])".
std::string pg_text_array(std::vector<std::string> const& items);

} // namespace lp::bus
