// The decisions of one database's bus, without sockets or PostgreSQL: events in (a poll
// arrives, a notification, a read's result, time passing), actions out (read bus_bus, arm the
// tick, answer a poll). The I/O shell (message_bus) turns actions into queries and timers and
// reports back; the unit tests drive it from tables of events.
//
// Reads are shared. Polls that need bus_bus when they arrive (a first poll, a last id older
// than the window of recent rows) wait for the next tick and are read together: one query for
// the union of their channels and the smallest last id. Notifications fetch the new rows once
// per round for every parked poll. So the queries follow ticks and notifications, never the
// number of clients, and the bus holds at most one cursor per database.
#pragma once

#include "routes/bus/bus_row.hpp"
#include "routes/bus/recent_window.hpp"
#include "routes/bus/waiter_index.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace lp {
class deferred_reply;
}

namespace lp::bus {

using bus_clock = std::chrono::steady_clock;

/// One poll, owned by the core from its arrival to its answer.
struct bus_waiter {
    enum class stage { queued, reading, parked };
    std::vector<std::string> keys;
    std::int64_t last = 0; ///< 0: a first poll, answered with the rows of the last timeout seconds
    std::shared_ptr<deferred_reply> reply;
    stage at = stage::queued;
    bool unchecked = false;          ///< parked with nothing in the window: checked after the next fetch
    std::uint64_t considered_in = 0; ///< the last round that looked at it
    std::multimap<bus_clock::time_point, std::unique_ptr<bus_waiter>>::iterator expiry;
    std::vector<waiter_index::link> links; ///< its places in the waiter index, while parked
};

/// What one read of bus_bus is to bring; the fetch driver turns it into SQL.
struct read_plan {
    /// The window part: without a window yet, bus_bus's newest id; with one, the rows after
    /// `after` (its ceiling), when new rows may exist. Neither when only arrivals are read.
    bool newest = false;
    std::optional<std::int64_t> after;
    /// What the WebSocket hub has read after `after` (socket_hub::extend): every id up to
    /// `read_up_to` but those in `gaps` (open intervals, at most socket_hub::max_gaps). Rows
    /// that commit out of id order are read in the gaps without reading the others again.
    std::optional<std::int64_t> read_up_to;
    std::vector<std::pair<std::int64_t, std::int64_t>> gaps;
    /// Above 0: also where the WebSocket hub may start (the newest id created more than
    /// settle_seconds ago) and the rows committed above it (for the first subscribe's replay).
    int settle_seconds = 0;
    /// The arrivals part (empty keys: none): the union of their channels, the smallest last
    /// id among those that have one, and whether some are first polls (last = 0).
    std::vector<std::string> arrival_keys;
    std::optional<std::int64_t> arrivals_since;
    bool first_polls = false;
};

/// What the read brought. The driver reads the window part first, then the arrivals part.
struct read_result {
    std::optional<std::int64_t> newest; ///< bus_bus's newest id, when asked
    std::optional<std::int64_t> settled; ///< with settle_seconds: the newest id created before them
    std::vector<bus_row> committed_since; ///< with settle_seconds: the rows above it, in id order
    std::vector<bus_row> fresh;         ///< rows after plan.after, in id order
    bool more = false;                  ///< fresh stopped at its limit: more rows behind them
    std::vector<bus_row> for_arrivals;  ///< the arrival keys' rows newer than since, or recent enough
};

/// Where the core's decisions go: the I/O shell in the server, a recorder in the tests.
/// An action never calls back into the core before returning.
class bus_actions {
public:
    virtual ~bus_actions() = default;
    /// Read bus_bus; report read_done() or read_failed(). At most one read is out at a time.
    virtual void start_read(read_plan plan) = 0;
    /// Call tick_elapsed() after `delay`, replacing any tick armed before.
    virtual void arm_tick(std::chrono::milliseconds delay) = 0;
    /// Answer a poll with its rows (a JSON list).
    virtual void answer(std::shared_ptr<deferred_reply> reply, std::string_view rows_json) = 0;
};

/// What the bus of one database is doing (the stats route shows it).
struct bus_stats {
    std::size_t waiting = 0;       ///< polls held now: waiting for a read, or parked
    std::size_t arriving = 0;      ///< of those, the ones waiting for (or in) a shared read
    std::size_t channels = 0;      ///< channels at least one parked poll listens on
    std::size_t recent_rows = 0;   ///< rows kept to answer re-polls without a query
    std::uint64_t fetches = 0;     ///< reads of bus_bus (rounds), whatever the number of clients
    std::uint64_t first_reads = 0; ///< rounds that read for arriving polls (one for many)
    std::uint64_t answered = 0;    ///< polls answered with rows
    std::uint64_t expired = 0;     ///< polls answered [] at their timeout
    std::uint64_t departed = 0;    ///< polls whose client left before an answer
    std::uint64_t delivered = 0;   ///< notifications (rows) sent in the answers
};

class bus_core {
public:
    /// How long arriving polls (and re-polls to check) are gathered before one read.
    static constexpr std::chrono::milliseconds gather{50};
    /// ...and during a storm (the previous read carried at least storm_batch arrivals or
    /// re-polls: a restart, every tab reconnecting): fewer, larger reads, a little later each.
    static constexpr std::chrono::milliseconds storm_gather{250};
    static constexpr std::size_t storm_batch = 100;
    /// The pause after a failed read before the next attempt.
    static constexpr std::chrono::milliseconds retry{1000};

    explicit bus_core(bus_actions& actions);
    ~bus_core();
    bus_core(bus_core const&) = delete;
    bus_core& operator=(bus_core const&) = delete;

    /// A poll for the rows of `keys` newer than `last` (0: the last timeout seconds), to be
    /// answered [] at `expires` if nothing comes. Answered now when the window holds rows for
    /// it; otherwise it waits (parked, or for the next shared read).
    /// Returns the waiter while the poll waits (nullptr when answered at once), for depart().
    bus_waiter* arrive(std::vector<std::string> keys, std::int64_t last, bus_clock::time_point expires,
                       std::shared_ptr<deferred_reply> reply);
    /// The client of a waiting poll has gone: forget it, without an answer.
    void depart(bus_waiter& w);
    /// NOTIFY imbus: new rows. (Its channels do not matter: the fetch brings every new row
    /// into the window, and the rows' own channels say whom to answer.)
    void notified();
    /// Every parked poll re-checks: the listener (re)connected (notifications may have been
    /// missed), or a payload could not be read.
    void wake_everyone();
    /// Subscribers the core does not hold (the WebSocket hub) want every notification's rows:
    /// notifications are read even when no poll waits.
    void set_external_listeners(bool present) { external_ = present; }
    void tick_elapsed();
    void read_done(read_result result);
    void read_failed();
    /// Answers [] every poll whose time is up at `now`.
    void expire_due(bus_clock::time_point now);
    std::optional<bus_clock::time_point> next_expiry() const;
    /// Answers every poll [] now and every later one at once (shutdown).
    void stop();

    bus_stats stats() const;

private:
    void maybe_read(bool tick_due = false);
    void begin_read();
    void settle_arrivals(std::vector<bus_row> const& rows);
    void fan_out(std::unordered_set<std::string> const& touched, bool everyone);
    void park(bus_waiter& w);
    void queue(bus_waiter& w);
    void arm(std::chrono::milliseconds delay);
    /// Answers `w` and forgets it.
    void finish(bus_waiter& w, std::string_view rows_json);
    /// Unlinks `w` from wherever it waits and destroys it; its reply is returned.
    std::shared_ptr<deferred_reply> forget(bus_waiter& w);

    bus_actions& actions_;
    recent_window window_;
    waiter_index parked_;
    /// Every poll held, by expiry: they own their waiter.
    std::multimap<bus_clock::time_point, std::unique_ptr<bus_waiter>> expiries_;
    std::unordered_set<bus_waiter*> queued_;    ///< arrived, waiting for the next read
    std::unordered_set<bus_waiter*> reading_;   ///< in the read out now
    std::unordered_set<bus_waiter*> unchecked_; ///< parked: check after the next fetch
    /// The waiters a round looks at. A member, so that its capacity stays: a fan-out then
    /// makes no large allocation.
    std::vector<bus_waiter*> candidates_;

    bool refresh_ = false;        ///< new rows may exist: fetch them
    bool recheck_ = false;        ///< re-polls came during a read: fetch at the next tick
    bool wake_all_ = false;       ///< the next round considers every parked poll
    bool round_everyone_ = false; ///< the round out now does
    bool read_out_ = false;
    bool tick_armed_ = false;
    bool backing_off_ = false;    ///< after a failed read, until the retry tick
    bool stopping_ = false;
    bool external_ = false;

    std::size_t last_batch_ = 0; ///< arrivals and re-polls to check in the latest read
    std::size_t repolls_ = 0;    ///< re-polls parked to check since the latest read began
    std::uint64_t rounds_ = 0;
    std::uint64_t arrival_reads_ = 0;
    std::uint64_t answered_ = 0;
    std::uint64_t expired_ = 0;
    std::uint64_t departed_ = 0;
    std::uint64_t delivered_ = 0;
};

} // namespace lp::bus
