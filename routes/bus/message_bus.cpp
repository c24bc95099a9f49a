#include "routes/bus/message_bus.hpp"

#include "orm_bridge/log.hpp"
#include "orm_bridge/metrics.hpp"
#include "routes/bus/odoo_json.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <deque>
#include <set>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace lp::bus {
namespace asio = boost::asio;
namespace json = boost::json;
using clock = std::chrono::steady_clock;

/// One poll: first reading, then parked until rows, expiry or shutdown answer it.
struct message_bus::waiter {
    waiter(database_state* s, std::vector<std::string> k, std::int64_t l, std::shared_ptr<deferred_reply> r)
        : st(s), keys(std::move(k)), last(l), reply(std::move(r))
    {
    }
    database_state* st;
    std::vector<std::string> keys;
    std::int64_t last;
    std::shared_ptr<deferred_reply> reply;
    bool registered = false;
    bool initializing = true; ///< doing its first database read: wake-ups only mark it
    bool missed = false;      ///< a wake-up came during that read: read again
    std::uint64_t considered_in = 0; ///< the last fetch round that looked at it
    std::multimap<clock::time_point, std::unique_ptr<waiter>>::iterator expiry; ///< valid once parked
};

namespace {

auto& rows_read = metrics::declare_counter("lp_bus_rows_read_total", "bus_bus rows read (fetches and polls' own reads)");
auto& delivered = metrics::declare_counter("lp_bus_notifications_delivered_total", "Notifications (bus_bus rows) sent to polls");
auto& fan_out_time = metrics::declare_histogram("lp_bus_fanout_duration_seconds", "Time to answer the polls a fetch round concerned");

/// A bus_bus row as read, as the client will see it, and already serialized.
struct bus_row {
    std::int64_t id;
    std::string key;
    std::string json; ///< the row as the poll returns it: {"id":..,("channel":..,)"message":..}
};

json::value parse_or_text(std::string_view text)
{
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    return ec ? json::value(json::string(text)) : v;
}

std::vector<bus_row> read_rows(orm::pg::result const& r, int odoo_version)
{
    std::vector<bus_row> rows;
    rows.reserve(static_cast<std::size_t>(r.rows()));
    rows_read.add(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        bus_row row{std::stoll(std::string(r.value(i, 0))), std::string(r.value(i, 1)), {}};
        json::object shaped;
        shaped["id"] = row.id;
        if (odoo_version < 15)
            shaped["channel"] = parse_or_text(row.key);
        shaped["message"] = parse_or_text(r.value(i, 2));
        row.json = json::serialize(shaped);
        rows.push_back(std::move(row));
    }
    return rows;
}

/// "[row,row,...]" from serialized rows.
template <class Rows>
std::string json_list(Rows const& rows)
{
    std::string out = "[";
    for (auto const& row : rows) {
        if (out.size() > 1)
            out += ',';
        out += row->json;
    }
    return out + "]";
}

std::int64_t read_max_id(orm::pg::result const& r) { return std::stoll(std::string(r.value(0, 0))); }

} // namespace

/// The waiters of one database, indexed by channel key, and the recent rows of its bus.
struct message_bus::database_state {
    orm::database* db = nullptr;
    std::unordered_map<std::string, std::unordered_set<waiter*>> by_channel;
    std::size_t waiting = 0;

    bool refresh = false;     ///< new rows may exist: fetch them
    std::unique_ptr<asio::steady_timer> soon; ///< gathers re-polls into one fetch
    bool soon_armed = false;
    bool wake_all = false;    ///< every parked waiter re-checks (reconnection, unreadable payload)
    bool fetching = false;
    std::uint64_t rounds = 0; ///< fetch rounds so far
    std::uint64_t first_reads = 0;
    std::uint64_t answered = 0;
    std::uint64_t expired = 0;
    /// The waiters a round looks at. A member, so that its capacity stays: a fan-out then
    /// makes no large allocation, each of which would have glibc consolidate its free lists.
    std::vector<waiter*> candidates;
    std::unordered_set<waiter*> unchecked; ///< parked while the recent rows were behind: check after the fetch
    std::unordered_set<waiter*> awaiting_table; ///< older than the recent rows: a filtered query answers them

    /// Every bus_bus row with floor < id <= ceiling, all channels, in id order: what the
    /// fetches brought. Re-polls are answered from here instead of each reading bus_bus.
    std::deque<bus_row> recent;
    std::int64_t floor = -1; ///< -1: not known yet
    std::int64_t ceiling = 0;
    static constexpr std::size_t max_recent = 4096;

    bool known() const { return floor >= 0; }
    bool covers(std::int64_t last) const { return known() && last > 0 && last >= floor; }

    void add(waiter& w)
    {
        for (auto const& key : w.keys)
            by_channel[key].insert(&w);
        w.registered = true;
        ++waiting;
    }

    void remove(waiter& w)
    {
        if (!w.registered)
            return;
        for (auto const& key : w.keys) {
            auto it = by_channel.find(key);
            if (it == by_channel.end())
                continue;
            it->second.erase(&w);
            if (it->second.empty())
                by_channel.erase(it);
        }
        unchecked.erase(&w);
        awaiting_table.erase(&w);
        w.registered = false;
        --waiting;
    }

    /// The recent rows of `keys` newer than `last`, in id order.
    std::vector<bus_row const*> rows_after(std::vector<std::string> const& keys, std::int64_t last) const
    {
        std::vector<bus_row const*> out;
        auto it = std::partition_point(recent.begin(), recent.end(), [last](bus_row const& r) { return r.id <= last; });
        for (; it != recent.end(); ++it)
            if (std::find(keys.begin(), keys.end(), it->key) != keys.end())
                out.push_back(&*it);
        return out;
    }

    void remember(std::vector<bus_row> rows)
    {
        for (auto& row : rows)
            if (row.id > ceiling) {
                ceiling = row.id;
                recent.push_back(std::move(row));
            }
        while (recent.size() > max_recent) {
            floor = recent.front().id;
            recent.pop_front();
        }
    }
};

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

message_bus::message_bus(asio::any_io_executor executor, orm::database_set& databases, bus_settings settings)
    : executor_(executor), databases_(databases), settings_(settings), expiry_timer_(executor)
{
    for (auto const& [name, db] : databases_.all())
        state_of(*db);
}

message_bus::~message_bus() = default;

message_bus::database_state& message_bus::state_of(orm::database& db)
{
    auto& slot = states_[db.name()];
    if (!slot) {
        slot = std::make_unique<database_state>();
        slot->db = &db;
        slot->soon = std::make_unique<asio::steady_timer>(executor_);
    }
    return *slot;
}

asio::awaitable<void> message_bus::subscribe(orm::database& db, std::vector<std::string> channel_keys,
                                             std::int64_t last, clock::time_point deadline,
                                             std::shared_ptr<deferred_reply> reply)
{
    auto& st = state_of(db);
    auto owned = std::make_unique<waiter>(&st, std::move(channel_keys), last, std::move(reply));
    auto& self = *owned;
    // Registered before any read, so that a notification arriving during it is seen.
    st.add(self);
    // Until it parks, the waiter belongs to this coroutine: unregister it however we leave.
    struct unregister {
        database_state& st;
        waiter& w;
        bool parked = false;
        ~unregister()
        {
            if (!parked)
                st.remove(w);
        }
    } guard{st, self};

    if (st.covers(self.last)) {
        // A re-poll: answered from the recent rows, never by a read of its own. When they
        // hold nothing for it, it parks and is checked again after the next fetch of new
        // rows (one query shared by every poll parked meanwhile), so that a row whose
        // notification is still on its way, or that was inserted without one, still comes.
        self.initializing = false;
        auto rows = st.rows_after(self.keys, self.last);
        if (!rows.empty()) {
            ++st.answered;
            delivered.add(rows.size());
            self.reply->resolve_serialized(json_list(rows));
            co_return;
        }
        st.unchecked.insert(&self);
        fetch_soon(st);
    }
    else {
        auto const keys = pg_text_array(self.keys);
        for (;;) {
            self.initializing = true;
            self.missed = false;
            ++st.first_reads;
            std::vector<bus_row> rows;
            std::int64_t newest = 0;
            {
                auto c = co_await db.pool().acquire(deadline);
                if (self.last > 0) {
                    std::string const sql = "SELECT id, channel, message FROM bus_bus"
                                            " WHERE id > $1 AND channel = ANY($2::varchar[]) ORDER BY id";
                    orm::pg::parameters params{std::to_string(self.last), keys};
                    auto r = co_await c.query(sql, std::move(params));
                    rows = read_rows(r, settings_.odoo_version);
                }
                else {
                    // A first poll: what was sent in the last `timeout` seconds, as Odoo does.
                    std::string const sql = "SELECT id, channel, message FROM bus_bus"
                                            " WHERE create_date > (now() AT TIME ZONE 'UTC') - make_interval(secs => $1)"
                                            " AND channel = ANY($2::varchar[]) ORDER BY id";
                    orm::pg::parameters params{std::to_string(settings_.timeout.count()), keys};
                    auto r = co_await c.query(sql, std::move(params));
                    rows = read_rows(r, settings_.odoo_version);
                }
                std::string const newest_sql = "SELECT COALESCE(max(id), 0) FROM bus_bus";
                auto m = co_await c.query(newest_sql);
                newest = read_max_id(m);
            }
            if (!rows.empty()) {
                std::vector<bus_row const*> found;
                for (auto const& row : rows)
                    found.push_back(&row);
                ++st.answered;
                delivered.add(found.size());
                self.reply->resolve_serialized(json_list(found));
                co_return;
            }
            // Nothing for these channels up to `newest`: only rows after it are news.
            self.last = std::max(self.last, newest);
            self.initializing = false;
            if (!self.missed)
                break;
        }
        if (!st.known()) {
            // Start keeping recent rows, so that the next polls need no first read.
            st.refresh = true;
            schedule_fetch(st);
        }
    }
    if (stopping_) {
        self.reply->resolve_serialized("[]");
        co_return;
    }
    // Parked: from here the waiter lives in expiries_, not in this coroutine.
    guard.parked = true;
    auto const expires = std::min(deadline, clock::now() + settings_.timeout);
    self.expiry = expiries_.emplace(expires, std::move(owned));
    arm_expiry();
}

void message_bus::finish(waiter* w, std::string_view rows_json)
{
    w->st->remove(*w);
    auto reply = std::move(w->reply);
    expiries_.erase(w->expiry); // destroys w
    reply->resolve_serialized(rows_json);
}

void message_bus::arm_expiry()
{
    if (expiries_.empty())
        return;
    auto const next = expiries_.begin()->first;
    if (next >= armed_for_)
        return; // the timer already fires in time
    armed_for_ = next;
    expiry_timer_.expires_at(next);
    expiry_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec)
            return; // re-armed for an earlier expiry, or the bus is going away
        armed_for_ = clock::time_point::max();
        expire_due();
        arm_expiry();
    });
}

void message_bus::expire_due()
{
    auto const now = clock::now();
    while (!expiries_.empty() && expiries_.begin()->first <= now) {
        ++expiries_.begin()->second->st->expired;
        finish(expiries_.begin()->second.get(), "[]");
    }
}

template <class Action>
void message_bus::for_each_state(orm::database* db, Action action)
{
    if (db)
        action(state_of(*db));
    else
        for (auto& [name, st] : states_)
            action(*st);
}

void message_bus::fetch_soon(database_state& st)
{
    // Re-polls that park one after another share a fetch a few milliseconds later; a
    // notification in the meantime fetches at once anyway.
    if (st.soon_armed || stopping_)
        return;
    st.soon_armed = true;
    st.soon->expires_after(std::chrono::milliseconds(20));
    st.soon->async_wait([this, &st](boost::system::error_code ec) {
        st.soon_armed = false;
        if (ec)
            return;
        st.refresh = true;
        schedule_fetch(st);
    });
}

void message_bus::schedule_fetch(database_state& st)
{
    if (st.fetching || stopping_ || !(st.refresh || st.wake_all))
        return;
    st.fetching = true;
    asio::co_spawn(executor_, fetch_loop(this, &st), asio::detached);
}

asio::awaitable<void> message_bus::fetch_loop(message_bus* self, database_state* st)
{
    // One query per round, for every notification since the previous round: the number of
    // queries follows the notifications, not the number of waiting clients.
    while (!self->stopping_ && (st->refresh || st->wake_all)) {
        bool const everyone = st->wake_all;
        st->refresh = false;
        st->wake_all = false;

        std::vector<bus_row> fresh_rows;
        try {
            auto c = co_await st->db->pool().acquire(clock::now() + std::chrono::seconds(10));
            if (!st->known()) {
                std::string const sql = "SELECT COALESCE(max(id), 0) FROM bus_bus";
                auto r = co_await c.query(sql);
                st->floor = st->ceiling = read_max_id(r);
            }
            else {
                // (Written channel-free and with LIMIT: told apart from the polls' first reads
                // in pg_stat_statements, and bounded after a long outage.)
                std::string const sql = "SELECT id, channel, message FROM bus_bus WHERE id > $1 ORDER BY id LIMIT 4096";
                orm::pg::parameters params{std::to_string(st->ceiling)};
                auto r = co_await c.query(sql, std::move(params));
                fresh_rows = read_rows(r, self->settings_.odoo_version);
                if (fresh_rows.size() == 4096)
                    st->refresh = true; // more behind them
            }
        }
        catch (std::exception const& e) {
            // Waiters stay parked: the listener's reconnect, or their expiry, follows.
            log::warning("bus", st->db->name(), ": reading bus_bus failed: ", e.what());
            continue;
        }
        std::unordered_set<std::string> touched;
        for (auto const& row : fresh_rows)
            touched.insert(row.key);
        st->remember(std::move(fresh_rows));

        // Who may have news: the waiters of the touched channels, those parked while the
        // recent rows were behind, and everyone after a reconnection.
        // Each once, though a waiter may listen on several touched channels: marked with
        // the round's number instead of gathered in a set (a fan-out has thousands).
        auto const round = ++st->rounds;
        auto& candidates = st->candidates;
        candidates.clear();
        auto consider = [&](waiter* w) {
            if (w->considered_in != round) {
                w->considered_in = round;
                candidates.push_back(w);
            }
        };
        for (auto* w : std::exchange(st->unchecked, {}))
            consider(w);
        if (everyone) {
            for (auto const& [key, waiters] : st->by_channel)
                for (auto* w : waiters)
                    consider(w);
        }
        else {
            for (auto const& key : touched)
                if (auto it = st->by_channel.find(key); it != st->by_channel.end())
                    for (auto* w : it->second)
                        consider(w);
        }

        auto const fan_out_start = clock::now();
        std::size_t answered = 0;
        std::vector<waiter*> too_old; // parked before the recent rows begin: need a query
        std::unordered_map<std::string, std::string> answers; // same rows, same text, serialized once
        for (auto* w : candidates) {
            if (w->initializing) {
                w->missed = true; // it will read again itself
                continue;
            }
            if (!st->covers(w->last)) {
                too_old.push_back(w);
                continue;
            }
            auto rows = st->rows_after(w->keys, w->last);
            if (rows.empty())
                continue;
            std::string signature;
            for (auto const* row : rows)
                signature.append(reinterpret_cast<char const*>(&row->id), sizeof row->id);
            auto [answer, added] = answers.try_emplace(std::move(signature));
            if (added)
                answer->second = json_list(rows);
            self->finish(w, answer->second);
            ++answered;
            ++st->answered;
            delivered.add(rows.size());
        }
        if (answered > 0) {
            std::chrono::duration<double> const took = clock::now() - fan_out_start;
            fan_out_time.observe(took.count());
            log::debug("bus", st->db->name(), ": answered ", answered, " polls in ", took.count() * 1000, " ms");
        }
        if (!too_old.empty())
            co_await self->answer_from_table(*st, std::move(too_old));
    }
    st->fetching = false;
}

asio::awaitable<void> message_bus::answer_from_table(database_state& st, std::vector<waiter*> waiters)
{
    // Rare: waiters whose last id is older than the recent rows (after a long outage).
    std::int64_t since = std::numeric_limits<std::int64_t>::max();
    std::set<std::string> keys;
    for (auto* w : waiters) {
        since = std::min(since, w->last);
        keys.insert(w->keys.begin(), w->keys.end());
        st.awaiting_table.insert(w);
    }
    std::vector<bus_row> rows;
    try {
        auto c = co_await st.db->pool().acquire(clock::now() + std::chrono::seconds(10));
        std::string const sql = "SELECT id, channel, message FROM bus_bus"
                                " WHERE channel = ANY($2::varchar[]) AND id > $1 ORDER BY id";
        orm::pg::parameters params{std::to_string(since), pg_text_array({keys.begin(), keys.end()})};
        auto r = co_await c.query(sql, std::move(params));
        rows = read_rows(r, settings_.odoo_version);
    }
    catch (std::exception const& e) {
        log::warning("bus", st.db->name(), ": reading bus_bus failed: ", e.what());
        co_return;
    }
    // Waiters that finished while the query ran (expired, answered) have left awaiting_table.
    for (auto* w : waiters) {
        if (!st.awaiting_table.erase(w) || w->initializing)
            continue;
        std::vector<bus_row const*> mine;
        for (auto const& row : rows)
            if (row.id > w->last && std::find(w->keys.begin(), w->keys.end(), row.key) != w->keys.end())
                mine.push_back(&row);
        if (!mine.empty()) {
            ++st.answered;
            delivered.add(mine.size());
            finish(w, json_list(mine));
        }
    }
}

void message_bus::notified(orm::database* db, std::string const& payload)
{
    boost::system::error_code ec;
    auto channels = json::parse(payload, ec);
    std::vector<std::string> keys;
    bool const readable = !ec && channels.is_array();
    if (readable)
        for (auto const& channel : channels.get_array())
            keys.push_back(odoo_json(channel));
    else
        log::warning("bus", "NOTIFY imbus with a payload that is not a JSON array; every waiter re-reads");

    for_each_state(db, [&](database_state& st) {
        if (!readable)
            st.wake_all = true;
        // Fetch when someone may care: a waiter on one of these channels, or recent rows to
        // keep current (re-polls are answered from them).
        bool concerned = !readable || st.known();
        for (auto const& key : keys)
            concerned = concerned || st.by_channel.contains(key);
        if (concerned) {
            st.refresh = true;
            schedule_fetch(st);
        }
    });
}

void message_bus::wake_everyone(orm::database* db)
{
    for_each_state(db, [&](database_state& st) {
        st.wake_all = true;
        st.refresh = true;
        schedule_fetch(st);
    });
}

void message_bus::stop()
{
    stopping_ = true;
    expiry_timer_.cancel();
    for (auto& [name, st] : states_)
        st->soon->cancel();
    while (!expiries_.empty())
        finish(expiries_.begin()->second.get(), "[]");
}

bus_stats message_bus::stats(orm::database& db)
{
    auto const& st = state_of(db);
    return {st.waiting, st.by_channel.size(), st.recent.size(), st.rounds, st.first_reads, st.answered, st.expired};
}

} // namespace lp::bus
