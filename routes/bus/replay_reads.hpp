// The reads /websocket's subscribes make (Odoo's _poll: the rows after `last`), shared: at most
// one is out per database, and every subscribe that comes while it is out joins the next one,
// which reads the union of their channels once. So a reconnect storm (every tab of every user
// after a restart) costs a few queries, not one per socket.
#pragma once

#include "orm_bridge/database.hpp"
#include "routes/bus/bus_row.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace lp::bus {

/// What a subscribe reads: bus_bus's newest id, the last id used and the rows after it.
struct replay_result {
    std::int64_t newest = 0;
    std::int64_t last = 0;
    std::vector<bus_row> rows;
    /// When a start was asked: where the WebSocket hub may start (the newest id created more
    /// than socket_hub::history ago) and the rows committed above it, read before the rows.
    std::int64_t settled = 0;
    std::vector<bus_row> committed_since;
};

class replay_reads {
public:
    replay_reads(boost::asio::any_io_executor executor, orm::database& db, int odoo_version,
                 std::chrono::seconds timeout);
    ~replay_reads();

    /// bus_bus's newest id, the last id used (0 when `last` was above the newest) and the rows
    /// of `keys` after it (with 0: those created within the timeout), in id order; with
    /// `hub_start`, also where the hub may start (for a hub without a mark).
    /// Errors: what the shared read throws (pg::error, orm::unavailable).
    boost::asio::awaitable<replay_result> read(std::vector<std::string> keys, std::int64_t last,
                                               bool hub_start = false);

    struct waiter;

private:
    boost::asio::awaitable<void> run();

    boost::asio::any_io_executor executor_;
    orm::database& db_;
    int odoo_version_;
    std::chrono::seconds timeout_;
    std::vector<std::shared_ptr<waiter>> queued_;
    bool running_ = false;
};

} // namespace lp::bus
