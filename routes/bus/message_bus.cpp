#include "routes/bus/message_bus.hpp"

#include "orm_bridge/log.hpp"
#include "routes/bus/odoo_json.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
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
    bool initializing = true; ///< doing its first read: wake-ups only mark it
    bool missed = false;      ///< a wake-up came during that read: read again
    std::multimap<clock::time_point, std::unique_ptr<waiter>>::iterator expiry; ///< valid once parked
};

/// The waiters of one database, indexed by channel key.
struct message_bus::database_state {
    orm::database* db = nullptr;
    std::unordered_map<std::string, std::unordered_set<waiter*>> by_channel;
    std::unordered_set<std::string> pending; ///< channels notified since the last fetch
    std::uint64_t epoch = 0;                 ///< counts notifications and reconnections
    std::int64_t newest = 0;                 ///< max(bus_bus.id) as read...
    std::uint64_t newest_epoch = ~std::uint64_t(0); ///< ...when the epoch was this
    bool wake_all = false;
    bool fetching = false;
    std::size_t waiting = 0;

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
        w.registered = false;
        --waiting;
    }
};

namespace {

/// A bus_bus row as read, and as the client will see it.
struct bus_row {
    std::int64_t id;
    std::string key;
    json::value shaped;
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
    for (int i = 0; i < r.rows(); ++i) {
        bus_row row{std::stoll(std::string(r.value(i, 0))), std::string(r.value(i, 1)), nullptr};
        json::object shaped;
        shaped["id"] = row.id;
        if (odoo_version < 15)
            shaped["channel"] = parse_or_text(row.key);
        shaped["message"] = parse_or_text(r.value(i, 2));
        row.shaped = std::move(shaped);
        rows.push_back(std::move(row));
    }
    return rows;
}

json::array as_array(std::vector<bus_row> const& rows)
{
    json::array out;
    out.reserve(rows.size());
    for (auto const& row : rows)
        out.push_back(row.shaped);
    return out;
}

} // namespace

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
    }
    return *slot;
}

bus_stats message_bus::stats() const
{
    auto s = stats_;
    s.waiting = 0;
    for (auto const& [name, st] : states_)
        s.waiting += st->waiting;
    return s;
}

asio::awaitable<void> message_bus::subscribe(orm::database& db, std::vector<std::string> channel_keys,
                                             std::int64_t last, clock::time_point deadline,
                                             std::shared_ptr<deferred_reply> reply)
{
    auto& st = state_of(db);
    auto owned = std::make_unique<waiter>(&st, std::move(channel_keys), last, std::move(reply));
    auto& self = *owned;
    // Registered before the first read, so that a notification arriving during it is seen.
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

    auto const keys = pg_text_array(self.keys);
    // A client that has seen the newest row, with no notification since that was read, parks
    // without reading: a newer row comes with its NOTIFY (and a reconnected listener makes
    // everyone re-read), so the read could only return nothing. A quiet bus costs no query.
    bool const up_to_date = self.last > 0 && st.newest_epoch == st.epoch && self.last >= st.newest;
    if (up_to_date)
        self.initializing = false;
    while (!up_to_date) {
        self.initializing = true;
        self.missed = false;
        std::vector<bus_row> rows;
        std::int64_t newest = 0;
        auto const epoch = st.epoch;
        {
            auto c = co_await db.pool().acquire(deadline);
            if (self.last > 0) {
                std::string const sql = "SELECT id, channel, message FROM bus_bus"
                                        " WHERE id > $1 AND channel = ANY($2::varchar[]) ORDER BY id";
                orm::pg::parameters params{std::to_string(self.last), keys};
                auto r = co_await c.query(sql, std::move(params));
                rows = read_rows(r, settings_.odoo_version);
                std::string const newest_sql = "SELECT COALESCE(max(id), 0) FROM bus_bus";
                auto m = co_await c.query(newest_sql);
                newest = std::stoll(std::string(m.value(0, 0)));
            }
            else {
                // A first poll: what was sent in the last `timeout` seconds, as Odoo does.
                std::string const sql = "SELECT id, channel, message FROM bus_bus"
                                        " WHERE create_date > (now() AT TIME ZONE 'UTC') - make_interval(secs => $1)"
                                        " AND channel = ANY($2::varchar[]) ORDER BY id";
                orm::pg::parameters params{std::to_string(settings_.timeout.count()), keys};
                auto r = co_await c.query(sql, std::move(params));
                rows = read_rows(r, settings_.odoo_version);
                std::string const newest_sql = "SELECT COALESCE(max(id), 0) FROM bus_bus";
                auto m = co_await c.query(newest_sql);
                newest = std::stoll(std::string(m.value(0, 0)));
            }
        }
        // Keep the freshest knowledge: a read that began before another's began knows less.
        bool const unknown = st.newest_epoch == ~std::uint64_t(0);
        if (unknown || epoch > st.newest_epoch || (epoch == st.newest_epoch && newest > st.newest)) {
            st.newest = newest;
            st.newest_epoch = epoch;
        }
        if (!rows.empty()) {
            self.reply->resolve(as_array(rows));
            co_return;
        }
        if (self.last == 0)
            self.last = newest; // parked from here: only rows after this are news
        self.initializing = false;
        if (!self.missed)
            break;
    }
    if (stopping_) {
        self.reply->resolve(json::array{});
        co_return;
    }
    // Parked: from here the waiter lives in expiries_, not in this coroutine.
    guard.parked = true;
    log::debug("bus", db.name(), ": parked after ", self.last, up_to_date ? " (no read)" : "");
    auto const expires = std::min(deadline, clock::now() + settings_.timeout);
    self.expiry = expiries_.emplace(expires, std::move(owned));
    arm_expiry();
}

void message_bus::finish(waiter* w, json::array rows)
{
    w->st->remove(*w);
    auto reply = std::move(w->reply);
    expiries_.erase(w->expiry); // destroys w
    reply->resolve(std::move(rows));
}

void message_bus::arm_expiry()
{
    if (expiries_.empty()) {
        return;
    }
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
    while (!expiries_.empty() && expiries_.begin()->first <= now)
        finish(expiries_.begin()->second.get(), json::array{});
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

void message_bus::schedule_fetch(database_state& st)
{
    if (st.fetching || stopping_ || (st.pending.empty() && !st.wake_all))
        return;
    st.fetching = true;
    asio::co_spawn(executor_, fetch_loop(this, &st), asio::detached);
}

asio::awaitable<void> message_bus::fetch_loop(message_bus* self, database_state* st)
{
    // One query per round for every channel notified since the previous round: the number of
    // queries follows the notifications, not the number of waiting clients.
    while (!self->stopping_ && (!st->pending.empty() || st->wake_all)) {
        std::vector<std::string> keys;
        if (st->wake_all) {
            for (auto const& [key, waiters] : st->by_channel)
                keys.push_back(key);
            st->wake_all = false;
        }
        else {
            keys.assign(st->pending.begin(), st->pending.end());
        }
        st->pending.clear();

        std::int64_t since = std::numeric_limits<std::int64_t>::max();
        std::vector<std::string> asked;
        for (auto const& key : keys) {
            auto it = st->by_channel.find(key);
            if (it == st->by_channel.end())
                continue;
            bool parked = false;
            for (auto* w : it->second) {
                if (w->initializing) {
                    w->missed = true; // it will read again itself
                    continue;
                }
                parked = true;
                since = std::min(since, w->last);
            }
            if (parked)
                asked.push_back(key);
        }
        if (asked.empty())
            continue;

        std::vector<bus_row> rows;
        try {
            ++self->stats_.fetches;
            auto c = co_await st->db->pool().acquire(clock::now() + std::chrono::seconds(10));
            // (Written channel-first so that it is told apart from the polls' own first reads
            // in pg_stat_statements.)
            std::string const sql = "SELECT id, channel, message FROM bus_bus"
                                    " WHERE channel = ANY($2::varchar[]) AND id > $1 ORDER BY id";
            orm::pg::parameters params{std::to_string(since), pg_text_array(asked)};
            auto r = co_await c.query(sql, std::move(params));
            rows = read_rows(r, self->settings_.odoo_version);
        }
        catch (std::exception const& e) {
            // The waiters stay parked: the listener's reconnect, or their timeout, follows.
            log::warning("bus", st->db->name(), ": reading bus_bus failed: ", e.what());
            continue;
        }
        log::debug("bus", st->db->name(), ": fetched ", rows.size(), " rows after ", since, " for ", asked.size(),
                   " channels");
        if (rows.empty())
            continue;

        std::unordered_map<std::string_view, std::vector<std::size_t>> by_key;
        for (std::size_t i = 0; i < rows.size(); ++i)
            by_key[rows[i].key].push_back(i);

        // Waiters are looked up again: some may have gone (timeout, client gone) or come
        // while the query ran. Each gets its own rows, in id order, each once.
        std::unordered_set<waiter*> woken;
        for (auto const& key : asked)
            if (auto it = st->by_channel.find(key); it != st->by_channel.end())
                for (auto* w : it->second)
                    if (!w->initializing)
                        woken.insert(w);
        for (auto* w : woken) {
            if (w->last < since) {
                // Came in after `since` was chosen with an older last id: read again for it.
                for (auto const& key : w->keys)
                    st->pending.insert(key);
                continue;
            }
            std::vector<std::size_t> mine;
            for (auto const& key : w->keys)
                if (auto it = by_key.find(key); it != by_key.end())
                    for (auto i : it->second)
                        if (rows[i].id > w->last)
                            mine.push_back(i);
            if (mine.empty())
                continue;
            std::sort(mine.begin(), mine.end());
            mine.erase(std::unique(mine.begin(), mine.end()), mine.end());
            json::array result;
            result.reserve(mine.size());
            for (auto i : mine)
                result.push_back(rows[i].shaped);
            ++self->stats_.delivered;
            self->finish(w, std::move(result));
        }
    }
    st->fetching = false;
}

void message_bus::notified(orm::database* db, std::string const& payload)
{
    ++stats_.notifications;
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
        ++st.epoch;
        if (!readable)
            st.wake_all = true;
        for (auto const& key : keys)
            if (st.by_channel.contains(key))
                st.pending.insert(key);
        schedule_fetch(st);
    });
}

void message_bus::wake_everyone(orm::database* db)
{
    for_each_state(db, [&](database_state& st) {
        ++st.epoch;
        st.wake_all = true;
        schedule_fetch(st);
    });
}

void message_bus::stop()
{
    stopping_ = true;
    expiry_timer_.cancel();
    while (!expiries_.empty())
        finish(expiries_.begin()->second.get(), json::array{});
}

} // namespace lp::bus
