// Odoo's bus on Odoo's own tables: waiters parked per channel, woken by NOTIFY imbus, and fed
// from bus_bus with one query per wake-up per database, however many clients wait.
#pragma once

#include "orm_bridge/database.hpp"
#include "routes/deferred_reply.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/array.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lp::bus {

struct bus_settings {
    /// 8-14: client channel "x" is stored as "x", rows are {id, channel, message};
    /// 15: stored as ["db","x"], rows are {id, message}, "broadcast" is added.
    int odoo_version = 15;
    /// How long a poll waits for a notification (Odoo's TIMEOUT).
    std::chrono::seconds timeout{50};
};

/// What the bus of one database is doing (the stats route shows it).
struct bus_stats {
    std::size_t waiting = 0;       ///< polls held now: parked, or doing their first read
    std::size_t channels = 0;      ///< channels at least one of them listens on
    std::size_t recent_rows = 0;   ///< rows kept to answer re-polls without a query
    std::uint64_t fetches = 0;     ///< shared reads of new rows (one per wake-up, whatever the clients)
    std::uint64_t first_reads = 0; ///< reads a poll made itself (its last id behind the recent rows)
    std::uint64_t answered = 0;    ///< polls answered with rows
    std::uint64_t expired = 0;     ///< polls answered [] at their timeout
};

/// The bus of every served database.
///
/// Cancellation: a poll cancelled by its caller (deadline, shutdown) unregisters itself.
/// Lifetime: lives as long as the server; polls refer to it.
class message_bus {
public:
    message_bus(boost::asio::any_io_executor executor, orm::database_set& databases, bus_settings settings);
    ~message_bus();

    bus_settings const& settings() const { return settings_; }

    /// Resolves `reply` with the rows of `channel_keys` (bus_bus.channel texts) newer than
    /// `last` (with last == 0: those of the last `timeout` seconds, as Odoo does): at once when
    /// there are some, else as soon as a notification brings some, else with [] at the bus
    /// timeout, at `deadline` or at stop(). Rows are in id order, each once, shaped for
    /// odoo_version. Completes after the first read; a parked poll holds no coroutine.
    /// Errors: pg::error / service_unavailable when the first read fails (reply untouched).
    boost::asio::awaitable<void> subscribe(orm::database& db, std::vector<std::string> channel_keys, std::int64_t last,
                                           std::chrono::steady_clock::time_point deadline,
                                           std::shared_ptr<deferred_reply> reply);

    /// A NOTIFY imbus payload (a JSON array of channels) received on `db`'s listener, or on the
    /// maintenance database's (db == nullptr: it may concern every database). A payload that is
    /// not such an array wakes every waiter of those databases, so that nothing is lost.
    void notified(orm::database* db, std::string const& payload);

    /// Every waiter of `db` (all databases when null) re-reads from its last id: called after a
    /// listener (re)connects, since notifications sent while it was deaf are gone.
    void wake_everyone(orm::database* db);

    /// Answers every parked poll now with what it has (an empty list): used at shutdown.
    void stop();

    bus_stats stats(orm::database& db);

    struct waiter;
    struct database_state;

private:
    database_state& state_of(orm::database& db);
    /// `action` on `db`'s state, or on every database's when db is null.
    template <class Action>
    void for_each_state(orm::database* db, Action action);
    void schedule_fetch(database_state& st);
    void fetch_soon(database_state& st);
    static boost::asio::awaitable<void> fetch_loop(message_bus* self, database_state* st);
    /// Answers `w` with its rows (serialized; "[]" when it expires) and forgets it.
    void finish(waiter* w, std::string_view rows_json);
    /// Answers waiters older than the recent rows with one filtered bus_bus query.
    boost::asio::awaitable<void> answer_from_table(database_state& st, std::vector<waiter*> waiters);
    void park(waiter* w);
    void arm_expiry();
    void expire_due();

    boost::asio::any_io_executor executor_;
    orm::database_set& databases_;
    bus_settings settings_;
    std::map<std::string, std::unique_ptr<database_state>> states_;
    bool stopping_ = false;
    // Parked waiters by expiry: all share one timer, and they own their waiter.
    std::multimap<std::chrono::steady_clock::time_point, std::unique_ptr<waiter>> expiries_;
    boost::asio::steady_timer expiry_timer_;
    std::chrono::steady_clock::time_point armed_for_ = std::chrono::steady_clock::time_point::max();
};

/// A PostgreSQL text[] literal of `items`, each quoted: for "channel = ANY($1::varchar[])".
std::string pg_text_array(std::vector<std::string> const& items);

} // namespace lp::bus
