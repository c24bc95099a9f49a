// A bounded pool of read-only PostgreSQL connections for one database, lent out as cursors.
#pragma once

#include "orm_bridge/pg_connection.hpp"
#include "orm_bridge/pool_core.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace lp::orm {

struct pool_settings {
    std::string database;                        ///< the database name, used in messages and application_name
    pg::connection_parameters connection;        ///< libpq keywords, including dbname
    unsigned max_size = 2;                       ///< --max-cursor: most connections open at once, ever
    std::size_t max_waiting = 1000;              ///< requests that may queue for a cursor; more get 503
    std::chrono::milliseconds connect_timeout{5000};   ///< the only connect deadline (libpq's own is not used)
    std::chrono::milliseconds acquire_timeout{10000}; ///< longest wait in the queue
    std::chrono::milliseconds statement_timeout{30000}; ///< server-side limit, and below every lease's deadline
    /// False only for the server's own writer (bus presence, publishing): leases then begin a
    /// read-write transaction that commit() ends. Handlers never get such a pool.
    bool read_only = true;
};

/// What a pool is doing (the stats route shows it).
using pool_stats = pool_counters;

class cursor_pool;

/// A leased connection inside a read-only transaction: `BEGIN READ ONLY` before its first
/// statement, `ROLLBACK` when it is returned, whatever happened.
///
/// Lifetime: move-only; returning happens in the destructor, which never waits (the pool
/// rolls back in its own coroutine). Keep it in a scope that ends before any long wait: a
/// parked request must hold no cursor.
class cursor {
public:
    cursor(cursor&& other) noexcept;
    cursor& operator=(cursor&&) = delete;
    ~cursor();

    /// Runs one read-only statement. Errors: pg::error (query_failed with its SQLSTATE, e.g.
    /// 25006 when the statement tries to write; connection errors when PostgreSQL went away).
    boost::asio::awaitable<pg::result> query(std::string sql, pg::parameters params = {});

    std::string const& database() const;

    /// Commits (writer pools only). Errors: pg::error; std::logic_error on a read-only pool.
    boost::asio::awaitable<void> commit();

private:
    friend class cursor_pool;
    struct state;
    struct node;
    struct waiter;
    cursor(std::shared_ptr<state> pool, node* leased, std::chrono::steady_clock::time_point deadline);

    std::shared_ptr<state> pool_;
    node* node_;
    std::chrono::steady_clock::time_point deadline_;
    std::chrono::steady_clock::time_point leased_at_ = std::chrono::steady_clock::now();
    bool begun_ = false;
};

/// The cursors of one database: at most max_size connections, waiters served in FIFO order
/// until their deadline, at most one connection being opened at a time (pool_core decides).
/// A failed connect refuses the waiters only when no connection is left to serve them.
///
/// Errors: acquire() throws lp::orm::unavailable (503) when the queue is full, when no
/// connection frees up in time, or when PostgreSQL cannot be reached.
class cursor_pool {
public:
    cursor_pool(boost::asio::any_io_executor executor, pool_settings settings);
    ~cursor_pool();
    cursor_pool(cursor_pool const&) = delete;
    cursor_pool& operator=(cursor_pool const&) = delete;

    /// A cursor, now or when one is free; waits at most until `deadline` and acquire_timeout.
    boost::asio::awaitable<cursor> acquire(std::chrono::steady_clock::time_point deadline);

    pool_stats stats() const;
    pool_settings const& settings() const;

    /// Closes idle connections and refuses new leases; leased ones close when returned.
    void close();

private:
    std::shared_ptr<cursor::state> state_;
};

} // namespace lp::orm
