#include "orm_bridge/cursor_pool.hpp"

#include "orm_bridge/log.hpp"
#include "orm_bridge/errors.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <list>
#include <vector>

namespace lp::orm {
namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

/// One pooled connection.
struct cursor::node {
    explicit node(asio::any_io_executor executor) : conn(std::move(executor)) {}
    pg::connection conn;
};

/// The pool's shared state: cursors keep it alive, so returning one after the pool object
/// is gone is safe.
struct cursor::state : std::enable_shared_from_this<state> {
    /// A request waiting for a cursor. Its own timer is both its deadline and its wake-up:
    /// whoever hands it a node (or a failure) writes the slot first, then cancels the timer.
    struct waiter {
        asio::steady_timer timer;
        node* granted = nullptr;
        std::optional<std::string> failure;
        bool queued = true;
    };

    state(asio::any_io_executor e, pool_settings s) : executor(std::move(e)), settings(std::move(s)) {}

    asio::any_io_executor executor;
    pool_settings settings;
    std::vector<std::unique_ptr<node>> nodes; // open or connecting
    std::deque<node*> idle;
    std::list<waiter*> waiting;
    std::size_t connecting = 0;
    bool closed = false;
    pool_stats counters;

    /// A node is free: the longest waiter gets it, else it becomes idle.
    void hand_off(node* n)
    {
        if (!waiting.empty()) {
            auto* w = waiting.front();
            waiting.pop_front();
            w->queued = false;
            w->granted = n;
            ++counters.leases;
            w->timer.cancel();
            return;
        }
        idle.push_back(n);
    }

    /// Closes a node for good. `broken`: it was open and could not be reused (counted).
    void drop(node* n, bool broken = true)
    {
        if (broken)
            ++counters.dropped;
        idle.erase(std::remove(idle.begin(), idle.end(), n), idle.end());
        auto it = std::find_if(nodes.begin(), nodes.end(), [n](auto const& p) { return p.get() == n; });
        if (it != nodes.end())
            nodes.erase(it); // closes: releases the descriptor, then PQfinish
    }

    void fail_waiters(std::string const& why)
    {
        while (!waiting.empty()) {
            auto* w = waiting.front();
            waiting.pop_front();
            w->queued = false;
            w->failure = why;
            w->timer.cancel();
        }
    }

    /// Opens one more connection when requests wait, there is room, and no other connection
    /// is being opened (during an outage the pool must not pile up connection attempts).
    void grow_if_needed()
    {
        if (closed || waiting.empty() || connecting > 0 || nodes.size() >= settings.max_size)
            return;
        ++connecting;
        auto fresh = std::make_unique<node>(executor);
        node* n = fresh.get();
        nodes.push_back(std::move(fresh));
        asio::co_spawn(executor, open(shared_from_this(), n), asio::detached);
    }

    static asio::awaitable<void> open(std::shared_ptr<state> self, node* n)
    {
        std::optional<std::string> failure;
        try {
            co_await n->conn.connect(self->settings.connection, clock::now() + self->settings.connect_timeout);
        }
        catch (std::exception const& e) {
            failure = e.what();
        }
        --self->connecting;
        if (failure) {
            ++self->counters.connect_failures;
            log::warning("pool", self->settings.database, ": ", *failure);
            self->drop(n, false);
            // Requests in flight learn now that the database is unreachable; later ones retry.
            self->fail_waiters(*failure);
            co_return;
        }
        if (self->closed) {
            self->drop(n, false);
            co_return;
        }
        log::debug("pool", self->settings.database, ": connection ", n->conn.backend_pid(), " opened");
        self->hand_off(n);
        self->grow_if_needed();
    }

    static asio::awaitable<void> roll_back(std::shared_ptr<state> self, node* n)
    {
        bool clean = false;
        try {
            co_await n->conn.execute("ROLLBACK", clock::now() + std::chrono::seconds(5));
            clean = n->conn.transaction_status() == PQTRANS_IDLE;
        }
        catch (std::exception const& e) {
            log::warning("pool", self->settings.database, ": rollback failed: ", e.what());
        }
        self->give_back(n, clean);
    }

    /// A returned node: reusable only when connected and outside any transaction.
    void give_back(node* n, bool clean)
    {
        if (closed || !clean || !n->conn.ok()) {
            drop(n);
            grow_if_needed();
            return;
        }
        hand_off(n);
    }

    void returned(node* n) noexcept
    {
        try {
            switch (n->conn.transaction_status()) {
            case PQTRANS_IDLE:
                give_back(n, true);
                break;
            case PQTRANS_INTRANS:
            case PQTRANS_INERROR:
                if (closed || !n->conn.ok())
                    give_back(n, false);
                else
                    asio::co_spawn(executor, roll_back(shared_from_this(), n), asio::detached);
                break;
            default:
                // A statement still running (its caller was cancelled) or an unknown state:
                // never reuse it.
                give_back(n, false);
            }
        }
        catch (...) {
            // Spawning can only fail on allocation; losing the node is the safe outcome.
        }
    }
};

cursor::cursor(std::shared_ptr<state> pool, node* leased, clock::time_point deadline)
    : pool_(std::move(pool)), node_(leased), deadline_(deadline)
{
}

cursor::cursor(cursor&& other) noexcept
    : pool_(std::move(other.pool_)), node_(std::exchange(other.node_, nullptr)), deadline_(other.deadline_),
      begun_(other.begun_)
{
}

cursor::~cursor()
{
    if (node_ && pool_)
        pool_->returned(node_);
}

std::string const& cursor::database() const { return pool_->settings.database; }

asio::awaitable<pg::result> cursor::query(std::string sql, pg::parameters params)
{
    if (!node_)
        throw std::logic_error("query on a returned cursor");
    if (!begun_) {
        // Read-only, with a statement_timeout below this lease's deadline so that PostgreSQL
        // cancels a slow statement cleanly before the client gives up (SET LOCAL reverts at
        // ROLLBACK). The SELECT takes the transaction's snapshot: from then on PostgreSQL
        // refuses SET TRANSACTION READ WRITE. One round trip.
        auto const remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - clock::now());
        auto const limit = std::clamp(remaining - std::chrono::milliseconds(100), std::chrono::milliseconds(1),
                                      pool_->settings.statement_timeout);
        std::string const begin = pool_->settings.read_only ? "BEGIN TRANSACTION READ ONLY" : "BEGIN";
        co_await node_->conn.execute(begin + "; SET LOCAL statement_timeout = " + std::to_string(limit.count())
                                         + "; SELECT 1",
                                     deadline_);
        begun_ = true;
    }
    auto r = co_await node_->conn.query(std::move(sql), std::move(params), deadline_);
    if (node_->conn.transaction_status() == PQTRANS_IDLE) {
        // The statement ended the lease's transaction (COMMIT, ROLLBACK, END): what follows
        // would run outside the read-only transaction. Never reuse this connection.
        node_->conn.close();
        throw pg::error(pg::errc::protocol, "a cursor's statement must not end its read-only transaction");
    }
    co_return r;
}

asio::awaitable<void> cursor::commit()
{
    if (!node_ || pool_->settings.read_only)
        throw std::logic_error("commit on a read-only cursor");
    if (!begun_)
        co_return;
    co_await node_->conn.execute("COMMIT", deadline_);
    begun_ = false;
}

cursor_pool::cursor_pool(asio::any_io_executor executor, pool_settings settings)
    : state_(std::make_shared<cursor::state>(std::move(executor), std::move(settings)))
{
}

cursor_pool::~cursor_pool() { close(); }

pool_settings const& cursor_pool::settings() const { return state_->settings; }

pool_stats cursor_pool::stats() const
{
    auto s = state_->counters;
    s.open = state_->nodes.size();
    s.idle = state_->idle.size();
    s.waiting = state_->waiting.size();
    return s;
}

void cursor_pool::close()
{
    auto& st = *state_;
    st.closed = true;
    st.fail_waiters("the server is shutting down");
    while (!st.idle.empty())
        st.drop(st.idle.front(), false);
}

asio::awaitable<cursor> cursor_pool::acquire(clock::time_point deadline)
{
    auto st = state_;
    auto const& name = st->settings.database;
    if (st->closed)
        throw service_unavailable("database '" + name + "': the server is shutting down");
    deadline = std::min(deadline, clock::now() + st->settings.acquire_timeout);

    // An idle connection, unless others are already queued (strict FIFO). A connection the
    // server closed while it was idle (PostgreSQL restarted) is found here and dropped.
    while (!st->idle.empty() && st->waiting.empty()) {
        auto* n = st->idle.front();
        st->idle.pop_front();
        if (!n->conn.check_alive()) {
            st->drop(n);
            continue;
        }
        ++st->counters.leases;
        co_return cursor(st, n, deadline);
    }
    if (st->waiting.size() >= st->settings.max_waiting)
        throw service_unavailable("database '" + name + "': " + std::to_string(st->waiting.size())
                                  + " requests are already waiting for a cursor");

    cursor::state::waiter self{asio::steady_timer(st->executor, deadline), nullptr, std::nullopt, true};
    st->waiting.push_back(&self);
    auto const position = std::prev(st->waiting.end());
    struct unqueue {
        cursor::state& s;
        cursor::state::waiter& w;
        std::list<cursor::state::waiter*>::iterator at;
        ~unqueue()
        {
            if (w.queued)
                s.waiting.erase(at);
        }
    } const guard{*st, self, position};
    st->grow_if_needed();

    auto [ec] = co_await self.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec; // the slots say what happened, not the error code
    if (self.granted) {
        auto* n = self.granted;
        if (!n->conn.check_alive()) {
            st->drop(n);
            st->grow_if_needed();
            throw service_unavailable("database '" + name + "': the connection was lost");
        }
        co_return cursor(st, n, deadline);
    }
    if (self.failure)
        throw service_unavailable("database '" + name + "' is unavailable: " + *self.failure);
    throw service_unavailable("database '" + name + "': no cursor became free in time (max_cursor="
                              + std::to_string(st->settings.max_size) + ")");
}

} // namespace lp::orm
