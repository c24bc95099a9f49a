// What a bus client says of its presence, parsed once for every route that hears it: the poll's
// options.bus_inactivity, /websocket's update_presence and /websocket/update_bus_presence
// (inactivity_period, im_status_ids_by_model); and Odoo 16's answer to the latter.
#pragma once

#include "orm_bridge/database.hpp"
#include "routes/services.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace lp::bus {

/// Milliseconds of inactivity from a client's number: a fraction is cut off, a huge number
/// (2^64, 1e400 read as infinity) held at a year, a negative one at 0. Absent or not a
/// number: nullopt (no presence write, as in Odoo).
std::optional<std::int64_t> inactivity_ms(boost::json::value const* value);

/// Whether `uid` of `db` may write its presence now, whichever route reports it: at most
/// write_rate_per_ip writes a minute per user (an office behind one address holds many
/// users). A refusal is counted as limit::presence_rate; the caller goes on without a write.
bool presence_write_allowed(services const& limits, orm::database const& db, std::int64_t uid);

/// im_status_ids_by_model's partners ({"res.partner": [ids]}; other models are ignored).
/// Errors: bad_request when it is not such an object of integer lists, or names more than
/// bus_max_channels ids (each costs a row of the answer).
std::vector<std::int64_t> im_status_partner_ids(boost::json::value const* ids_by_model, services const& limits);

/// Odoo 16's answer to im_status_ids_by_model: the partners' statuses sent to the user's
/// partner channel as mail.record/insert {"Partner": [{"id", "im_status"}]}. 17 and 18 send
/// none (their clients listen on presence channels). Best effort: errors are logged.
boost::asio::awaitable<void> answer_im_status(orm::database& db, int odoo_version, std::int64_t uid,
                                              std::vector<std::int64_t> partner_ids);

} // namespace lp::bus
