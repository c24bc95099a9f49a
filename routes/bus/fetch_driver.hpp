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

/// A PostgreSQL int8[] literal of `items`.
std::string pg_int_array(std::vector<std::int64_t> const& items);

/// A PostgreSQL text[] literal of `items`, each quoted: for "channel = ANY($1::varchar[])".
std::string pg_text_array(std::vector<std::string> const& items);

} // namespace lp::bus
