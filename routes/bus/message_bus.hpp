// Odoo's bus on Odoo's own tables: polls parked per channel, woken by NOTIFY imbus, fed from
// bus_bus with shared reads (one per tick for arriving polls, one per wake-up for parked ones)
// per database, however many clients wait. The decisions are bus_core's (no I/O); this is
// its shell: timers, the reads, and the answers handed to the transport.
#pragma once

#include "orm_bridge/database.hpp"
#include "routes/bus/bus_core.hpp"
#include "routes/bus/replay_reads.hpp"
#include "routes/bus/session_checks.hpp"
#include "routes/bus/socket_hub.hpp"
#include "routes/deferred_reply.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lp::bus {

struct bus_settings {
    /// 8-14: client channel "x" is stored as "x", rows are {id, channel, message};
    /// 15: stored as ["db","x"], rows are {id, message}, "broadcast" is added.
    int odoo_version = 15;
    /// How long a poll waits for a notification (Odoo's TIMEOUT).
    std::chrono::seconds timeout{50};
};

/// The bus of every served database.
///
/// Lifetime: lives as long as the server; polls refer to it.
class message_bus {
public:
    message_bus(boost::asio::any_io_executor executor, orm::database_set& databases, bus_settings settings);
    ~message_bus();

    bus_settings const& settings() const { return settings_; }

    /// Resolves `reply` with the rows of `channel_keys` (bus_bus.channel texts) newer than
    /// `last` (with last == 0: those of the last `timeout` seconds, as Odoo does): at once when
    /// the recent rows hold some, else after the next shared read of bus_bus or as soon as a
    /// notification brings some, else with [] at the bus timeout, at `deadline` or at stop().
    /// Rows are in id order, each once, shaped for odoo_version. Returns at once: a waiting
    /// poll holds no coroutine and no cursor. Errors: none (a failed read is retried).
    void subscribe(orm::database& db, std::vector<std::string> channel_keys, std::int64_t last,
                   std::chrono::steady_clock::time_point deadline, std::shared_ptr<deferred_reply> reply);

    /// A NOTIFY imbus payload (a JSON array of channels) received on `db`'s listener, or on the
    /// maintenance database's (db == nullptr: it may concern every database). A payload that is
    /// not such an array wakes every waiter of those databases, so that nothing is lost.
    void notified(orm::database* db, std::string const& payload);

    /// Every waiter of `db` (all databases when null) re-reads from its last id: called after a
    /// listener (re)connects, since notifications sent while it was deaf are gone.
    void wake_everyone(orm::database* db);

    /// Answers every waiting poll now with an empty list: used at shutdown.
    void stop();

    bus_stats stats(orm::database& db);

    /// `db`'s WebSocket subscribers (Odoo 16-18's /websocket), fed from the same reads.
    socket_hub& sockets(orm::database& db);
    /// The reads of their subscribes (Odoo's _poll), shared by the subscribes that come together.
    replay_reads& replays(orm::database& db);
    /// Their session checks, one per session per wake-up.
    session_checks& sessions(orm::database& db);
    boost::asio::any_io_executor executor() const { return executor_; }

    class shell;

private:
    shell& shell_of(orm::database& db);
    template <class Action>
    void for_each_shell(orm::database* db, Action action);

    boost::asio::any_io_executor executor_;
    bus_settings settings_;
    std::map<std::string, std::unique_ptr<shell>> shells_;
};

} // namespace lp::bus
