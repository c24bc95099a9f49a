// The res_users rows behind logged-in sessions, per database, so that a re-poll by a known
// session costs no query: the session check and the channel hooks read them from here.
#pragma once

#include "orm_bridge/cursor_pool.hpp"
#include "orm_bridge/session_token.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace lp::orm {

/// What Odoo's session token and the bus's channels need of a user.
struct user_record {
    session_token_fields token; ///< the row and database.secret the session token comes from
    bool has_secret = false;    ///< database.secret is set (without it no token is valid)
    std::optional<std::int64_t> partner_id;
    bool share = false; ///< res_users.share: a portal or public user, not an internal one
};

struct user_cache_settings {
    std::chrono::milliseconds check_every{1000}; ///< an entry older than this is read again before use
    std::chrono::milliseconds idle_lifetime{60000}; ///< an entry unused for this long is dropped
    std::chrono::milliseconds gather{10};        ///< reads gathered into one query
};

struct user_cache_stats {
    std::size_t entries = 0;
    std::uint64_t reads = 0;   ///< queries made (each for every user that needed one)
    std::uint64_t dropped = 0; ///< entries dropped: row gone, or unused for idle_lifetime
};

/// An entry is used as is for `check_every` after it was read; past that, the next use reads
/// it again, together with every other entry that is due and every miss in the same `gather`
/// tick: one query (`WHERE id = ANY(...)`) for all of them, at most one at a time. So a known
/// session costs no query, and a changed row (a new password, a deactivation, a new
/// database.secret, written by Odoo or by hand) is seen within about a second. The cache uses
/// at most one cursor, whatever the number of users.
///
/// Errors: find() throws what the cursor pool or PostgreSQL throws when a load fails.
/// Lifetime: reads in flight keep its state alive; close() stops the checks.
class user_cache {
public:
    user_cache(boost::asio::any_io_executor executor, cursor_pool& pool, user_cache_settings settings = {});
    ~user_cache();
    user_cache(user_cache const&) = delete;
    user_cache& operator=(user_cache const&) = delete;

    /// The row of user `uid`, or nullopt when there is none. Cancellation: the caller's
    /// cancellation ends its wait (the shared read goes on for the others).
    boost::asio::awaitable<std::optional<user_record>> find(std::int64_t uid);

    user_cache_stats stats() const;
    void close();

    struct state;

private:
    std::shared_ptr<state> state_;
};

} // namespace lp::orm
