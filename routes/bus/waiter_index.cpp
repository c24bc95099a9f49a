#include "routes/bus/waiter_index.hpp"

#include "routes/bus/bus_core.hpp"

namespace lp::bus {

void waiter_index::add(bus_waiter& w)
{
    for (auto const& key : w.keys)
        by_channel_[key].insert(&w);
}

void waiter_index::remove(bus_waiter& w)
{
    for (auto const& key : w.keys) {
        auto it = by_channel_.find(key);
        if (it == by_channel_.end())
            continue;
        it->second.erase(&w);
        if (it->second.empty())
            by_channel_.erase(it);
    }
}

} // namespace lp::bus
