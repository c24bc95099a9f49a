// Publishing on the bus as Odoo's sendmany does: rows in bus_bus, then NOTIFY imbus with the
// JSON list of their channels, delivered at commit. Through the database's writer connection,
// never through a handler's read-only cursor.
#pragma once

#include "orm_bridge/database.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

namespace lp::bus {

/// One notification: the channel as stored (already in its Odoo-version shape) and the message.
using notification = std::pair<boost::json::value, boost::json::value>;

/// Inserts the rows and notifies, in one transaction. Returns how many rows were written.
/// Errors: pg::error, service_unavailable.
boost::asio::awaitable<std::int64_t> publish(orm::database& db, std::vector<notification> notifications,
                                             std::chrono::steady_clock::time_point deadline);

/// pos_longpolling's channel for one POS: the string '["db","channel_name","pos_id"]' that
/// Python's '["{}","{}","{}"]'.format(...) builds and the POS client's JSON.stringify matches.
std::string pos_channel(std::string const& db, std::string const& channel_name, std::int64_t pos_id);

/// The channel as stored for a client's `client_channel` (a string): "x" (Odoo 8-14) or
/// ["db","x"] (Odoo 15).
boost::json::value stored_channel(int odoo_version, std::string const& db, std::string const& client_channel);

/// The stored channel and message of a notification a client subscribed to as `client_channel`
/// (a string): as Odoo 8-14 ("x", message) or 15 (["db","x"], {"type":"x","payload":message}).
notification client_notification(int odoo_version, std::string const& db, std::string const& client_channel,
                                 boost::json::value message);

} // namespace lp::bus
