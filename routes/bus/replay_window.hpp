// The rows the WebSocket hub has read, kept to answer a subscribe without reading bus_bus:
// every row the hub read with an id above the floor, in id order whatever order they committed
// in, the newest max_rows. Rows the hub reads later are offered to every subscriber anyway, so
// a subscribe whose last id is at or above the floor misses exactly its channels' rows here.
// The floor rises past ids the hub gave up (never read when its mark passed them: a row that
// commits that late is in bus_bus but not here) and past rows dropped for room. Pure data.
#pragma once

#include "routes/bus/bus_row.hpp"

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace lp::bus {

class replay_window {
public:
    static constexpr std::size_t max_rows = 4096;

    /// True when the rows after `last` that exist are here or still to be read: `last` is at
    /// or above the floor, and not above the highest id read (above bus_bus's newest id Odoo
    /// counts it as 0, which only a read can tell). 0 (the rows of the last bus timeout) never.
    bool answers(std::int64_t last) const { return started_ && last > 0 && last >= floor_ && last <= ceiling_; }
    std::size_t size() const { return rows_.size(); }

    /// Starts at the hub's first mark: the rows up to `floor` are settled and not kept; the
    /// rows added before are kept above it, with `committed` (the rows above it that the
    /// first subscriber's read saw, in id order).
    void start_at(std::int64_t floor, std::vector<bus_row> const& committed);
    /// A row the hub has read (in any order); one at or below the floor is not kept.
    void add(shared_row row);
    /// The hub will not read the ids up to `id`: a last id below it needs a read.
    void raise_floor(std::int64_t id);
    /// Nobody listens any more: nothing is known until the next start.
    void clear();

    /// The rows of `keys` after `last`, in id order.
    std::vector<shared_row> rows_after(std::vector<std::string> const& keys, std::int64_t last) const;

private:
    void trim();

    std::deque<shared_row> rows_;
    bool started_ = false;
    std::int64_t floor_ = 0;   ///< every row read above it is here
    std::int64_t ceiling_ = 0; ///< the highest id read (or the floor)
};

} // namespace lp::bus
