// A bus_bus row as the bus keeps it: read once, serialized once for every poll it answers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace lp::bus {

struct bus_row {
    std::int64_t id = 0;
    std::string key;  ///< bus_bus.channel, the text Odoo matches channels by
    std::string json; ///< the row as a poll returns it: {"id":..,("channel":..,)"message":..}
    /// Created within the bus timeout: what a first poll (last = 0) gets, as Odoo answers.
    bool recent_enough = true;
};

/// A row shared by every socket it goes to (and the hub's replay window).
using shared_row = std::shared_ptr<bus_row const>;

/// "[row,row,...]" from pointers to rows, in their order.
template <class RowPointers>
std::string json_list(RowPointers const& rows)
{
    std::string out = "[";
    for (auto const& row : rows) {
        if (out.size() > 1)
            out += ',';
        out += row->json;
    }
    return out + "]";
}

} // namespace lp::bus
