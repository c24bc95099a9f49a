#include "routes/bus/fetch_driver.hpp"

#include "orm_bridge/metrics.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <limits>

namespace lp::bus {
namespace json = boost::json;
using clock = std::chrono::steady_clock;

namespace {
auto& rows_read = metrics::declare_counter("lp_bus_rows_read_total", "bus_bus rows read (fetches and arrival reads)");

/// The most rows one fetch of new rows brings; more follow in the next round.
constexpr int fetch_limit = 4096;

json::value parse_or_text(std::string_view text)
{
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    return ec ? json::value(json::string(text)) : v;
}

/// Row `i` of `r` (id, channel, message[, recent enough]) shaped as a poll returns it.
bus_row shaped_row(orm::pg::result const& r, int i, int odoo_version, bool has_recent)
{
    bus_row row{std::stoll(std::string(r.value(i, 0))), std::string(r.value(i, 1)), {}, true};
    if (has_recent)
        row.recent_enough = r.value(i, 3) == "t";
    json::object shaped;
    shaped["id"] = row.id;
    if (odoo_version < 15)
        shaped["channel"] = parse_or_text(row.key);
    shaped["message"] = parse_or_text(r.value(i, 2));
    row.json = json::serialize(shaped);
    return row;
}

/// Rows (id, channel, message[, recent enough]) shaped as a poll returns them.
std::vector<bus_row> read_rows(orm::pg::result const& r, int odoo_version)
{
    std::vector<bus_row> rows;
    rows.reserve(static_cast<std::size_t>(r.rows()));
    rows_read.add(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i)
        rows.push_back(shaped_row(r, i, odoo_version, r.columns() > 3));
    return rows;
}
} // namespace

std::string pg_int_array(std::vector<std::int64_t> const& items)
{
    std::string out = "{";
    for (auto const id : items)
        out += (out.size() > 1 ? "," : "") + std::to_string(id);
    return out + "}";
}

std::string pg_text_array(std::vector<std::string> const& items)
{
    std::string out = "{";
    for (auto const& item : items) {
        if (out.size() > 1)
            out += ',';
        out += '"';
        for (char c : item) {
            if (c == '"' || c == '\\')
                out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

boost::asio::awaitable<read_result> read_bus(orm::database& db, read_plan plan, int odoo_version,
                                             std::chrono::seconds timeout)
{
    read_result out;
    auto c = co_await db.pool().acquire(clock::now() + std::chrono::seconds(10));
    if (plan.newest) {
        std::string const sql = "SELECT COALESCE(max(id), 0) FROM bus_bus";
        auto r = co_await c.query(sql);
        out.newest = std::stoll(std::string(r.value(0, 0)));
    }
    if (plan.settle_seconds > 0) {
        // Where the WebSocket hub starts: before the arrivals part, so that every row listed
        // here is in that read too if it is the subscriber's (a row committing later is above
        // the mark and not listed: the hub reads it when it comes, in a gap if its id is
        // lower). The rows themselves start the hub's replay window.
        // (A row without create_date counts as old. Past fetch_limit ids, the hub starts at
        // the highest of them: the lower ones not committed yet are given up, as before.)
        std::string const sql =
            "SELECT b.id, b.channel, b.message, s.mark FROM (SELECT COALESCE(max(id), 0) AS mark FROM bus_bus"
            " WHERE create_date IS NULL OR create_date <= (now() AT TIME ZONE 'UTC') - make_interval(secs => $1)) s"
            " LEFT JOIN bus_bus b ON b.id > s.mark ORDER BY b.id LIMIT " + std::to_string(fetch_limit + 1);
        orm::pg::parameters params{std::to_string(plan.settle_seconds)};
        auto r = co_await c.query(sql, std::move(params));
        out.settled = r.rows() > 0 ? std::stoll(std::string(r.value(0, 3))) : 0;
        for (int i = 0; i < r.rows(); ++i)
            if (!r.is_null(i, 0))
                out.committed_since.push_back(shaped_row(r, i, odoo_version, false));
        rows_read.add(out.committed_since.size());
        if (out.committed_since.size() > static_cast<std::size_t>(fetch_limit)) {
            out.settled = out.committed_since.back().id;
            out.committed_since.clear();
        }
    }
    if (plan.after) {
        // (Channel-free and with LIMIT: told apart from the arrivals' read in
        // pg_stat_statements, and bounded after a long outage.) With the hub's ids read, only
        // the gaps below the highest of them are read again (rows that committed late).
        std::string sql = "SELECT id, channel, message FROM bus_bus WHERE id > $1";
        if (plan.read_up_to)
            sql += " AND (id > $2 OR EXISTS (SELECT 1 FROM unnest($3::int8[], $4::int8[]) AS gap(lo, hi)"
                   " WHERE id > gap.lo AND id < gap.hi))";
        sql += " ORDER BY id LIMIT " + std::to_string(fetch_limit);
        orm::pg::parameters params{std::to_string(*plan.after)};
        if (plan.read_up_to) {
            std::vector<std::int64_t> lows, highs;
            for (auto const& [lo, hi] : plan.gaps) {
                lows.push_back(lo);
                highs.push_back(hi);
            }
            params.push_back(std::to_string(*plan.read_up_to));
            params.push_back(pg_int_array(lows));
            params.push_back(pg_int_array(highs));
        }
        auto r = co_await c.query(sql, std::move(params));
        out.fresh = read_rows(r, odoo_version);
        out.more = out.fresh.size() == static_cast<std::size_t>(fetch_limit);
    }
    if (!plan.arrival_keys.empty()) {
        // Every arriving poll at once: their channels' rows after the smallest last id, and
        // (for first polls) those of the last `timeout` seconds, flagged so, as Odoo answers.
        std::string const sql =
            "SELECT id, channel, message, create_date > (now() AT TIME ZONE 'UTC') - make_interval(secs => $3)"
            "  FROM bus_bus WHERE channel = ANY($1::varchar[])"
            "   AND (id > $2::int8 OR create_date > (now() AT TIME ZONE 'UTC') - make_interval(secs => $3))"
            " ORDER BY id";
        auto const since = plan.arrivals_since.value_or(std::numeric_limits<std::int64_t>::max());
        auto const recent = plan.first_polls ? timeout.count() : 0;
        orm::pg::parameters params{pg_text_array(plan.arrival_keys), std::to_string(since), std::to_string(recent)};
        auto r = co_await c.query(sql, std::move(params));
        out.for_arrivals = read_rows(r, odoo_version);
    }
    co_return out;
}

} // namespace lp::bus
