#include "routes/bus/arrival_rows.hpp"

#include <algorithm>
#include <iterator>

namespace lp::bus {

arrival_rows::arrival_rows(std::vector<bus_row> const& rows)
{
    for (auto const& row : rows)
        by_key_[row.key].push_back(&row); // in id order, as read
}

void arrival_rows::select(std::vector<std::string> const& keys, std::int64_t last,
                          std::vector<bus_row const*>& out) const
{
    out.clear();
    for (auto const& key : keys) {
        auto const bucket = by_key_.find(key);
        if (bucket == by_key_.end())
            continue;
        auto const& on_key = bucket->second;
        if (last > 0) {
            auto const after = std::upper_bound(on_key.begin(), on_key.end(), last,
                                                [](std::int64_t l, bus_row const* row) { return l < row->id; });
            out.insert(out.end(), after, on_key.end());
        }
        else
            std::copy_if(on_key.begin(), on_key.end(), std::back_inserter(out),
                         [](bus_row const* row) { return row->recent_enough; });
    }
    // Several channels' rows, each in id order: one list in id order, each row once.
    std::sort(out.begin(), out.end(), [](bus_row const* a, bus_row const* b) { return a->id < b->id; });
    out.erase(std::unique(out.begin(), out.end()), out.end());
}

} // namespace lp::bus
