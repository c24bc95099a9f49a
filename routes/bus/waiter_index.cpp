#include "routes/bus/waiter_index.hpp"

#include "routes/bus/bus_core.hpp"

namespace lp::bus {

void waiter_index::add(bus_waiter& w)
{
    w.links.assign(w.keys.size(), link{});
    for (std::size_t i = 0; i < w.keys.size(); ++i) {
        auto [at, added] = by_channel_.try_emplace(w.keys[i]);
        auto& ch = at->second;
        if (added)
            ch.key = &at->first;
        auto& l = w.links[i];
        l.waiter = &w;
        l.on = &ch;
        l.next = ch.first;
        if (ch.first)
            ch.first->prev = &l;
        ch.first = &l;
    }
}

void waiter_index::remove(bus_waiter& w)
{
    for (auto& l : w.links) {
        if (l.prev)
            l.prev->next = l.next;
        else
            l.on->first = l.next;
        if (l.next)
            l.next->prev = l.prev;
        if (!l.on->first)
            by_channel_.erase(by_channel_.find(*l.on->key));
    }
    w.links.clear();
}

} // namespace lp::bus
