#include "routes/bus/presence.hpp"

#include <algorithm>
#include <chrono>
#include <string>

namespace lp::bus {
namespace {
/// Where the presence rows are: bus_presence up to 17, mail_presence from 18.
std::string presence_table(int odoo_version) { return odoo_version >= 18 ? "mail_presence" : "bus_presence"; }
} // namespace

boost::asio::awaitable<void> update_presence(orm::database* db, int odoo_version, std::int64_t uid,
                                             std::int64_t inactivity_ms)
{
    try {
        auto c = co_await db->writer().acquire(std::chrono::steady_clock::now() + std::chrono::seconds(10));
        // 16 and later key the row by a partial unique index (user_id or guest_id): the
        // conflict target names its predicate, which a plain unique constraint also satisfies.
        std::string const table = presence_table(odoo_version);
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

std::string im_status_sql(int odoo_version)
{
    return "SELECT p.id, COALESCE(s.status, 'im_partner') AS im_status"
           "  FROM unnest($1::int4[]) AS p(id)"
           "  LEFT JOIN (SELECT u.partner_id,"
           "                    CASE WHEN max(b.last_poll) IS NULL THEN 'offline'"
           "                         WHEN age(now() AT TIME ZONE 'UTC', max(b.last_poll)) > interval '55 seconds' THEN 'offline'"
           "                         WHEN age(now() AT TIME ZONE 'UTC', max(b.last_presence)) > interval '1800 seconds' THEN 'away'"
           "                         ELSE 'online' END AS status"
           "               FROM res_users u LEFT JOIN " + presence_table(odoo_version) + " b ON b.user_id = u.id"
           "              WHERE u.active GROUP BY u.partner_id) s ON s.partner_id = p.id"
           " ORDER BY p.id";
}

} // namespace lp::bus
