#include "routes/bus/presence.hpp"

#include <algorithm>
#include <chrono>
#include <string>

namespace lp::bus {

boost::asio::awaitable<void> update_presence(orm::database* db, int odoo_version, std::int64_t uid,
                                             std::int64_t inactivity_ms)
{
    try {
        auto c = co_await db->writer().acquire(std::chrono::steady_clock::now() + std::chrono::seconds(10));
        // 16 and later key the row by a partial unique index (user_id or guest_id): the
        // conflict target names its predicate, which a plain unique constraint also satisfies.
        std::string const table = odoo_version >= 18 ? "mail_presence" : "bus_presence";
        std::string const target = odoo_version >= 16 ? "(user_id) WHERE user_id IS NOT NULL" : "(user_id)";
        std::string const sql =
            "INSERT INTO " + table + " (user_id, last_poll, last_presence, status)"
            " VALUES ($1, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' - make_interval(secs => $2::float8 / 1000), 'online')"
            " ON CONFLICT " + target + " DO UPDATE SET last_poll = EXCLUDED.last_poll,"
            " last_presence = GREATEST(" + table + ".last_presence, EXCLUDED.last_presence)";
        orm::pg::parameters params{std::to_string(uid), std::to_string(std::max<std::int64_t>(inactivity_ms, 0))};
        co_await c.query(sql, std::move(params));
        co_await c.commit();
    }
    catch (std::exception const&) {
        // Presence is best effort.
    }
}

} // namespace lp::bus
