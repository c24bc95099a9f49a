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

/// One parked poll.
struct message_bus::waiter {
    waiter(asio::any_io_executor executor, std::vector<std::string> k, std::int64_t l)
        : keys(std::move(k)), last(l), timer(std::move(executor))
    {
    }
    std::vector<std::string> keys;
    std::int64_t last;
    asio::steady_timer timer;
    bool registered = false;
    bool initializing = true; ///< doing its first read: wake-ups only mark it
    bool missed = false;      ///< a wake-up came during that read: read again
    std::optional<json::array> result;
};

/// The waiters of one database, indexed by channel key.
struct message_bus::database_state {
    orm::database* db = nullptr;
    std::unordered_map<std::string, std::unordered_set<waiter*>> by_channel;
    std::unordered_set<std::string> pending; ///< channels notified since the last fetch
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
    : executor_(std::move(executor)), databases_(databases), settings_(settings)
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

asio::awaitable<json::array> message_bus::poll(orm::database& db, std::vector<std::string> channel_keys,
                                               std::int64_t last, clock::time_point deadline)
{
    auto& st = state_of(db);
    waiter self(executor_, std::move(channel_keys), last);
    // Registered before the first read, so that a notification arriving during it is seen.
    st.add(self);
    struct unregister {
        database_state& st;
        waiter& w;
        ~unregister() { st.remove(w); }
    } const guard{st, self};

    auto const keys = pg_text_array(self.keys);
    for (;;) {
        self.initializing = true;
        self.missed = false;
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
                std::string const newest_sql = "SELECT COALESCE(max(id), 0) FROM bus_bus";
                auto m = co_await c.query(newest_sql);
                newest = std::stoll(std::string(m.value(0, 0)));
            }
        }
        if (!rows.empty())
            co_return as_array(rows);
        if (self.last == 0)
            self.last = newest; // parked from here: only rows after this are news
        self.initializing = false;
        if (!self.missed)
            break;
    }

    if (stopping_)
        co_return json::array{};
    self.timer.expires_at(std::min(deadline, clock::now() + settings_.timeout));
    auto [ec] = co_await self.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec; // the result slot says whether rows came
    if (self.result)
        co_return std::move(*self.result);
    co_return json::array{};
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
            w->result = std::move(result);
            st->remove(*w);
            w->timer.cancel();
            ++self->stats_.delivered;
        }
    }
    st->fetching = false;
}

void message_bus::stop()
{
    stopping_ = true;
    for (auto& [name, st] : states_) {
        std::vector<waiter*> all;
        for (auto const& [key, waiters] : st->by_channel)
            all.insert(all.end(), waiters.begin(), waiters.end());
        for (auto* w : all) {
            st->remove(*w);
            w->timer.cancel();
        }
    }
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
        st.wake_all = true;
        schedule_fetch(st);
    });
}

} // namespace lp::bus
