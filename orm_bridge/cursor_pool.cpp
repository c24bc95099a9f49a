#include "orm_bridge/cursor_pool.hpp"

#include "orm_bridge/log.hpp"
#include "orm_bridge/metrics.hpp"
#include "orm_bridge/pool_core.hpp"
#include "orm_bridge/errors.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <list>
#include <vector>

namespace lp::orm {
namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {
auto& lease_time = metrics::declare_histogram("lp_cursor_lease_duration_seconds", "How long a request held a cursor");
auto& refusals = metrics::declare_counter("lp_cursor_unavailable_total",
                                          "Cursor requests refused (503): pool closed, queue full, timeout, database down");

/// The error for a refused cursor request, counted.
unavailable refused(std::string const& message)
{
    refusals.add();
    return unavailable(message);
}
} // namespace

/// One pooled connection.
struct cursor::node {
    explicit node(asio::any_io_executor executor) : conn(std::move(executor)) {}
    pg::connection conn;
};

/// A request waiting for a cursor. Its own timer is both its deadline and its wake-up:
/// whoever hands it a node (or a failure) writes the slot first, then cancels the timer.
struct cursor::waiter {
    asio::steady_timer timer;
    node* granted = nullptr;
    std::optional<std::string> failure;
    bool queued = true;
};

/// The pool's shared state: cursors keep it alive, so returning one after the pool object
/// is gone is safe. The decisions are pool_core's; this is its I/O shell.
struct cursor::state : std::enable_shared_from_this<state>, pool_core<cursor::node, cursor::waiter>::actions {
    state(asio::any_io_executor e, pool_settings s)
        : executor(std::move(e)), settings(std::move(s)), core(*this, settings.max_size, settings.max_waiting)
    {
    }

    asio::any_io_executor executor;
    pool_settings settings;
    std::vector<std::unique_ptr<node>> nodes; // open or connecting
    pool_core<node, waiter> core;

    void open() override
    {
        auto fresh = std::make_unique<node>(executor);
        node* n = fresh.get();
        nodes.push_back(std::move(fresh));
        asio::co_spawn(executor, connect(shared_from_this(), n), asio::detached);
    }

    void grant(waiter* w, node* n) override
    {
        w->queued = false;
        w->granted = n;
        w->timer.cancel();
    }

    void refuse(waiter* w, std::string const& why) override
    {
        w->queued = false;
        w->failure = why;
        w->timer.cancel();
    }

    void close(node* n) override
    {
        auto it = std::find_if(nodes.begin(), nodes.end(), [n](auto const& p) { return p.get() == n; });
        if (it != nodes.end())
            nodes.erase(it); // closes: releases the descriptor, then PQfinish
    }

    static asio::awaitable<void> connect(std::shared_ptr<state> self, node* n)
    {
        // Posted first: the core hears back only after the action that asked returned.
        co_await asio::post(self->executor, asio::use_awaitable);
        std::optional<std::string> failure;
        try {
            co_await n->conn.connect(self->settings.connection, clock::now() + self->settings.connect_timeout);
        }
        catch (std::exception const& e) {
            failure = e.what();
        }
        if (failure) {
            log::warning("pool", self->settings.database, ": ", *failure);
            self->core.open_failed(n, *failure);
            co_return;
        }
        log::debug("pool", self->settings.database, ": connection ", n->conn.backend_pid(), " opened");
        self->core.opened(n);
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
        self->core.returned(n, clean && n->conn.ok());
    }

    void returned(node* n) noexcept
    {
        try {
            switch (n->conn.transaction_status()) {
            case PQTRANS_IDLE:
                core.returned(n, n->conn.ok());
                break;
            case PQTRANS_INTRANS:
            case PQTRANS_INERROR:
                if (core.closed() || !n->conn.ok())
                    core.returned(n, false);
                else
                    asio::co_spawn(executor, roll_back(shared_from_this(), n), asio::detached);
                break;
            default:
                // A statement still running (its caller was cancelled) or an unknown state:
                // never reuse it.
                core.returned(n, false);
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
      leased_at_(other.leased_at_), begun_(other.begun_)
{
}

cursor::~cursor()
{
    if (node_ && pool_) {
        lease_time.observe(std::chrono::duration<double>(clock::now() - leased_at_).count());
        pool_->returned(node_);
    }
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

pool_stats cursor_pool::stats() const { return state_->core.counters(); }

void cursor_pool::close() { state_->core.close(); }

asio::awaitable<cursor> cursor_pool::acquire(clock::time_point deadline)
{
    auto st = state_;
    auto const& name = st->settings.database;
    if (st->core.closed())
        throw refused("database '" + name + "': the server is shutting down");
    deadline = std::min(deadline, clock::now() + st->settings.acquire_timeout);

    // An idle connection, unless others are already queued (strict FIFO). A connection the
    // server closed while it was idle (PostgreSQL restarted) is found here and dropped.
    while (auto* n = st->core.take_idle()) {
        if (n->conn.check_alive())
            co_return cursor(st, n, deadline);
        st->core.returned(n, false);
    }
    if (st->core.queue_full())
        throw refused("database '" + name + "': " + std::to_string(st->core.counters().waiting)
                          + " requests are already waiting for a cursor");

    cursor::waiter self{asio::steady_timer(st->executor, deadline), nullptr, std::nullopt, true};
    struct unqueue {
        cursor::state& s;
        cursor::waiter& w;
        ~unqueue()
        {
            if (w.queued)
                s.core.waiter_gone(&w);
        }
    } const guard{*st, self};
    st->core.enqueue(&self);

    auto [ec] = co_await self.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec; // the slots say what happened, not the error code
    if (self.granted) {
        auto* n = self.granted;
        if (!n->conn.check_alive()) {
            st->core.returned(n, false);
            throw refused("database '" + name + "': the connection was lost");
        }
        co_return cursor(st, n, deadline);
    }
    if (self.failure)
        throw refused("database '" + name + "' is unavailable: " + *self.failure);
    throw refused("database '" + name + "': no cursor became free in time (max_cursor="
                      + std::to_string(st->settings.max_size) + ")");
}

} // namespace lp::orm
