// Parked polls of one database, indexed by the channel keys they listen on: a notification
// on a channel finds its waiters without looking at anyone else's. Pure data, no I/O.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

namespace lp::bus {

struct bus_waiter;

/// Each channel's waiters are an intrusive list threaded through the waiters themselves: a
/// waiter answered in a fan-out leaves its channels without a lookup of their keys and
/// without freeing anything, and an emptied channel frees no bucket array of its own.
class waiter_index {
    struct channel;

public:
    /// A parked waiter's place in the list of one of its channels (bus_waiter::links).
    struct link {
        bus_waiter* waiter = nullptr;
        link* prev = nullptr;
        link* next = nullptr;
        channel* on = nullptr;
    };

    /// Links `w` into the list of each of its keys.
    void add(bus_waiter& w);
    void remove(bus_waiter& w);
    std::size_t channels() const { return by_channel_.size(); }

    /// Calls `visit(bus_waiter*)` for each waiter of `key`. `visit` must not change the index.
    template <class Visit>
    void for_each_on(std::string const& key, Visit visit) const
    {
        if (auto it = by_channel_.find(key); it != by_channel_.end())
            for (auto const* l = it->second.first; l; l = l->next)
                visit(l->waiter);
    }
    /// Calls `visit(bus_waiter*)` for every waiter, once per channel it listens on.
    template <class Visit>
    void for_each(Visit visit) const
    {
        for (auto const& [key, waiters] : by_channel_)
            for (auto const* l = waiters.first; l; l = l->next)
                visit(l->waiter);
    }

private:
    struct channel {
        link* first = nullptr;
        std::string const* key = nullptr; ///< its key in by_channel_ (a map node: stable)
    };
    std::unordered_map<std::string, channel> by_channel_;
};

} // namespace lp::bus
