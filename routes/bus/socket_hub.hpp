// Odoo 16-18's /websocket subscribers of one database, indexed by channel. They are fed from
// the same read of bus_bus per wake-up as the parked polls: the hub adds its part to that read
// (the rows that committed out of id order) and hands each row, once, to the subscribers of
// its channel. Pure data, no I/O.
//
// Rows that commit out of id order (Odoo's August 2024 fix, done once per database instead
// of once per socket): the hub remembers the ids read in the last `history` seconds and reads
// the gaps between them (and what follows), so a row that commits after a higher id was read
// is still read, once. An id leaves the history (and the mark moves up to it) only when it is
// the smallest remembered and older than `history`. The first subscriber's read says where
// the mark starts (start_at).
//
// The rows it read are kept (replay_window), so that a subscribe whose last id is recent is
// answered without reading bus_bus (replay).
#pragma once

#include "routes/bus/bus_core.hpp"
#include "routes/bus/bus_row.hpp"
#include "routes/bus/replay_window.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace lp::bus {

/// One subscription, as the hub sees it.
class bus_subscriber {
public:
    /// A new row on one of its channels; within a dispatch, in id order.
    virtual void offer(shared_row const& row) = 0;
    /// The dispatch that offered it rows is complete: send them (one frame).
    virtual void flush() = 0;

protected:
    ~bus_subscriber() = default;
};

class socket_hub {
public:
    static constexpr std::chrono::seconds history{10};
    /// The most intervals of unread ids a read carries (its SQL stays small; past them the
    /// read brings some rows again, which are not offered twice).
    static constexpr std::size_t max_gaps = 32;

    /// What the hub asks of its database's bus: a read of new rows soon; whether anyone
    /// listens (the bus then reads on every notification, polls or not).
    struct link {
        std::function<void()> read_soon;
        std::function<void(bool)> listening;
    };
    explicit socket_hub(link to_bus) : bus_(std::move(to_bus)) {}

    /// Subscribes `s` to the channel keys (bus_bus.channel texts), replacing its previous ones.
    void subscribe(bus_subscriber& s, std::vector<std::string> keys);
    void unsubscribe(bus_subscriber& s);

    /// A hub without a mark starts at `mark` (every id up to it settled), with `committed`
    /// (the rows above it a subscriber's read saw, in id order) as read at `now`, and reads at
    /// once what came after them meanwhile. A hub with a mark ignores it.
    void start_at(std::int64_t mark, std::vector<bus_row> const& committed,
                  std::chrono::steady_clock::time_point now);
    bool has_mark() const { return mark_.has_value(); }
    /// What a subscriber (subscribed already) misses after `last` on `keys`, from the rows the
    /// hub has read: in id order. Nothing when only a read of bus_bus can tell (no mark yet,
    /// `last` below the rows kept, 0, or above the highest id read).
    std::optional<std::vector<shared_row>> replay(std::vector<std::string> const& keys, std::int64_t last);
    /// Subscribes answered by replay() (the stats route).
    std::uint64_t replays_from_memory() const { return replays_from_memory_; }
    /// Adds the hub's part to a read of new rows: from its mark on, less the ids it has read
    /// (as at most max_gaps intervals of ids still to read, below the highest id read).
    void extend(read_plan& plan) const;
    /// The rows a read brought (in id order): each one the hub has not seen is offered to the
    /// subscribers of its channel; then each subscriber offered some is flushed once.
    void deliver(std::vector<bus_row> const& rows, std::chrono::steady_clock::time_point now);

    std::size_t subscribers() const { return keys_of_.size(); }
    std::size_t channels() const { return by_channel_.size(); }

private:
    /// Removes `s` from the index; false when it was not subscribed.
    bool detach(bus_subscriber& s);
    void forget_old(std::chrono::steady_clock::time_point now);

    link bus_;
    std::unordered_map<std::string, std::unordered_set<bus_subscriber*>> by_channel_;
    std::unordered_map<bus_subscriber*, std::vector<std::string const*>> keys_of_; ///< into by_channel_'s keys
    std::optional<std::int64_t> mark_; ///< every id up to it is settled (read, or given up)
    std::vector<std::pair<std::int64_t, std::chrono::steady_clock::time_point>> read_; ///< ids above the mark, sorted
    std::vector<bus_subscriber*> touched_; ///< a member, so its capacity stays between dispatches
    std::uint64_t detached_ = 0;           ///< subscribers removed so far (deliver's check)
    replay_window recent_;                 ///< the rows read, for replay()
    std::uint64_t replays_from_memory_ = 0;
};

} // namespace lp::bus
