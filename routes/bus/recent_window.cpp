#include "routes/bus/recent_window.hpp"

#include <algorithm>

namespace lp::bus {

void recent_window::start_at(std::int64_t newest)
{
    rows_.clear();
    floor_ = ceiling_ = newest;
}

std::unordered_set<std::string> recent_window::remember(std::vector<bus_row> rows)
{
    std::unordered_set<std::string> touched;
    for (auto& row : rows)
        if (row.id > ceiling_) {
            ceiling_ = row.id;
            touched.insert(row.key);
            rows_.push_back(std::move(row));
        }
    while (rows_.size() > max_rows) {
        floor_ = rows_.front().id;
        rows_.pop_front();
    }
    return touched;
}

std::vector<bus_row const*> recent_window::rows_after(std::vector<std::string> const& keys, std::int64_t last) const
{
    std::vector<bus_row const*> out;
    auto it = std::partition_point(rows_.begin(), rows_.end(), [last](bus_row const& r) { return r.id <= last; });
    for (; it != rows_.end(); ++it)
        if (std::find(keys.begin(), keys.end(), it->key) != keys.end())
            out.push_back(&*it);
    return out;
}

} // namespace lp::bus
