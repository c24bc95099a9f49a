// The window of recent rows of one database's bus: every bus_bus row with floor < id <= ceiling,
// all channels, in id order, as the fetches brought them. Re-polls are answered from here
// instead of each reading bus_bus. Pure data, no I/O.
#pragma once

#include "routes/bus/bus_row.hpp"

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_set>
#include <vector>

namespace lp::bus {

class recent_window {
public:
    static constexpr std::size_t max_rows = 4096;

    /// Before the first read nothing is known: every poll needs a read of bus_bus.
    bool known() const { return floor_ >= 0; }
    /// True when the rows after `last` are all here (a re-poll with a last id inside the window).
    bool covers(std::int64_t last) const { return last > 0 && holds_after(last); }
    /// True when every row after `id` is here (a parked poll that has seen up to `id`).
    bool holds_after(std::int64_t id) const { return known() && id >= floor_; }
    std::int64_t ceiling() const { return ceiling_; }
    std::size_t size() const { return rows_.size(); }

    /// Starts empty at bus_bus's newest id (the first read).
    void start_at(std::int64_t newest);
    /// Appends rows newer than the ceiling (in id order), then forgets the oldest beyond
    /// max_rows. Returns the channel keys of the rows added.
    std::unordered_set<std::string> remember(std::vector<bus_row> rows);
    /// The rows of `keys` newer than `last`, in id order.
    std::vector<bus_row const*> rows_after(std::vector<std::string> const& keys, std::int64_t last) const;

private:
    std::deque<bus_row> rows_;
    std::int64_t floor_ = -1; ///< -1: not known yet
    std::int64_t ceiling_ = 0;
};

} // namespace lp::bus
