// Parked polls of one database, indexed by the channel keys they listen on: a notification
// on a channel finds its waiters without looking at anyone else's. Pure data, no I/O.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace lp::bus {

struct bus_waiter;

class waiter_index {
public:
    void add(bus_waiter& w);
    void remove(bus_waiter& w);
    std::size_t channels() const { return by_channel_.size(); }

    /// Calls `visit(bus_waiter*)` for each waiter of `key`.
    template <class Visit>
    void for_each_on(std::string const& key, Visit visit) const
    {
        if (auto it = by_channel_.find(key); it != by_channel_.end())
            for (auto* w : it->second)
                visit(w);
    }
    /// Calls `visit(bus_waiter*)` for every waiter, once per channel it listens on.
    template <class Visit>
    void for_each(Visit visit) const
    {
        for (auto const& [key, waiters] : by_channel_)
            for (auto* w : waiters)
                visit(w);
    }

private:
    std::unordered_map<std::string, std::unordered_set<bus_waiter*>> by_channel_;
};

} // namespace lp::bus
