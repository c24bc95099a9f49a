#include "orm_bridge/user_cache.hpp"

#include "orm_bridge/errors.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace lp::orm {
namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {
/// "{1,2,3}": a PostgreSQL int8[] literal.
std::string id_array(std::unordered_set<std::int64_t> const& ids)
{
    std::string out = "{";
    for (auto id : ids)
        out += (out.size() > 1 ? "," : "") + std::to_string(id);
    return out + "}";
}

std::optional<std::string> text_or_null(pg::result const& r, int row, int column)
{
    if (r.is_null(row, column))
        return std::nullopt;
    return std::string(r.value(row, column));
}
} // namespace

struct user_cache::state : std::enable_shared_from_this<state> {
    struct entry {
        user_record row;
        clock::time_point read_at;
        clock::time_point used_at;
    };
    /// The users of one read: their finds all wait on one timer, cancelled when it is done.
    struct batch {
        explicit batch(asio::any_io_executor e) : wake(e, clock::time_point::max()) {}
        asio::steady_timer wake;
        bool done = false;
        std::optional<std::string> failure;
    };

    state(asio::any_io_executor e, cursor_pool& p, user_cache_settings s)
        : executor(e), pool(p), settings(s), gather_timer(e)
    {
    }

    asio::any_io_executor executor;
    cursor_pool& pool;
    user_cache_settings settings;
    std::unordered_map<std::int64_t, entry> entries;
    std::unordered_set<std::int64_t> wanted; ///< users for the next read
    std::shared_ptr<batch> next;              ///< what their finds wait on
    asio::steady_timer gather_timer;
    bool reading = false;
    bool armed = false;
    bool closed = false;
    user_cache_stats counters;

    std::shared_ptr<batch> join(std::int64_t uid)
    {
        wanted.insert(uid);
        if (!next)
            next = std::make_shared<batch>(executor);
        schedule();
        return next;
    }

    void schedule()
    {
        if (reading || armed || wanted.empty() || closed)
            return;
        armed = true;
        gather_timer.expires_after(settings.gather);
        gather_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            self->armed = false;
            if (!ec && !self->closed)
                asio::co_spawn(self->executor, read(self), asio::detached);
        });
    }

    /// One query for every user wanted, plus every other entry already due (so that they do
    /// not each cost a read a moment later); rows that are gone drop their entry.
    static asio::awaitable<void> read(std::shared_ptr<state> self)
    {
        self->reading = true;
        auto const now = clock::now();
        auto ids = std::exchange(self->wanted, {});
        auto const waiting = std::exchange(self->next, nullptr);
        self->counters.dropped += std::erase_if(self->entries, [&](auto const& item) {
            return now - item.second.used_at > self->settings.idle_lifetime;
        });
        for (auto const& [id, e] : self->entries)
            if (now - e.read_at >= self->settings.check_every)
                ids.insert(id);
        try {
            auto c = co_await self->pool.acquire(clock::now() + std::chrono::seconds(10));
            // share through to_jsonb: the column may be missing in old schemas (read as false).
            std::string const sql = "SELECT u.id, u.active, u.login, u.password, u.partner_id,"
                                    "       (SELECT value FROM ir_config_parameter WHERE key = 'database.secret'),"
                                    "       to_jsonb(u) -> 'share' = 'true'"
                                    "  FROM res_users u WHERE u.id = ANY($1::int8[])";
            pg::parameters list{id_array(ids)};
            auto r = co_await c.query(sql, std::move(list));
            auto const read_at = clock::now();
            for (int i = 0; i < r.rows(); ++i) {
                user_record row;
                row.token.id = std::stoll(std::string(r.value(i, 0)));
                row.token.active = r.value(i, 1) == "t";
                row.token.login = std::string(r.value(i, 2));
                row.token.password = text_or_null(r, i, 3);
                if (!r.is_null(i, 4))
                    row.partner_id = std::stoll(std::string(r.value(i, 4)));
                row.has_secret = !r.is_null(i, 5);
                row.token.database_secret = std::string(r.value(i, 5));
                row.share = r.value(i, 6) == "t";
                ids.erase(row.token.id);
                auto& e = self->entries[row.token.id];
                e.row = std::move(row);
                e.read_at = read_at;
                e.used_at = std::max(e.used_at, now);
            }
            for (auto id : ids) // no such row (any more)
                self->counters.dropped += self->entries.erase(id);
            ++self->counters.reads;
        }
        catch (std::exception const& e) {
            waiting->failure = e.what();
        }
        if (waiting) {
            waiting->done = true;
            waiting->wake.cancel();
        }
        self->reading = false;
        self->schedule(); // finds that came meanwhile
    }
};

user_cache::user_cache(asio::any_io_executor executor, cursor_pool& pool, user_cache_settings settings)
    : state_(std::make_shared<state>(executor, pool, settings))
{
}

user_cache::~user_cache() { close(); }

void user_cache::close()
{
    auto& st = *state_;
    st.closed = true;
    st.gather_timer.cancel();
    if (auto waiting = std::exchange(st.next, nullptr)) {
        waiting->done = true;
        waiting->failure = "the server is shutting down";
        waiting->wake.cancel();
    }
}

user_cache_stats user_cache::stats() const
{
    auto s = state_->counters;
    s.entries = state_->entries.size();
    return s;
}

asio::awaitable<std::optional<user_record>> user_cache::find(std::int64_t uid)
{
    auto st = state_;
    auto const now = clock::now();
    if (auto it = st->entries.find(uid); it != st->entries.end() && now - it->second.read_at < st->settings.check_every) {
        it->second.used_at = now;
        co_return it->second.row;
    }
    if (st->closed)
        throw unavailable("database '" + st->pool.settings().database + "': the server is shutting down");
    auto const waiting = st->join(uid);
    auto [ec] = co_await waiting->wake.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec; // the batch says what happened
    if (!waiting->done) // the caller was cancelled (its deadline, shutdown)
        throw boost::system::system_error(asio::error::operation_aborted);
    if (waiting->failure)
        throw unavailable("database '" + st->pool.settings().database + "': " + *waiting->failure);
    if (auto it = st->entries.find(uid); it != st->entries.end())
        co_return it->second.row;
    co_return std::nullopt;
}

} // namespace lp::orm
