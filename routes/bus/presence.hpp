// Odoo's presence row for a user who polls or holds a WebSocket: last_poll now, last_presence
// moved up to now less the client's inactivity. Through the database's writer connection,
// never through a read-only cursor.
#pragma once

#include "orm_bridge/database.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>

namespace lp::bus {

/// Upserts the presence row of `uid` as `odoo_version` stores it: bus_presence up to 17,
/// mail_presence from 18 (where it moved to the mail module), keyed by user_id. Best effort:
/// errors are swallowed (a poll or a WebSocket is never refused for its presence).
boost::asio::awaitable<void> update_presence(orm::database* db, int odoo_version, std::int64_t uid,
                                             std::int64_t inactivity_ms);

/// The query of Odoo's res.partner.im_status for the partners of $1 (an int4[]), in id order:
/// (id, im_status), from the presence table of `odoo_version`: offline after 55 s without a
/// poll, away after 30 minutes idle, im_partner for a partner without an active user.
std::string im_status_sql(int odoo_version);

} // namespace lp::bus
