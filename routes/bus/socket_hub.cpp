#include "routes/bus/socket_hub.hpp"

#include <algorithm>

namespace lp::bus {

void socket_hub::subscribe(bus_subscriber& s, std::vector<std::string> keys)
{
    // A subscriber that replaces its channels keeps the hub listening and its mark: only the
    // index entries change (resetting them would lose the rows that commit out of order).
    bool const first = keys_of_.empty();
    detach(s);
    std::vector<std::string const*> mine;
    mine.reserve(keys.size());
    for (auto& key : keys) {
        auto const channel = by_channel_.try_emplace(std::move(key)).first;
        if (channel->second.insert(&s).second) // (a key given twice is kept once)
            mine.push_back(&channel->first);   // the index's own copy: nodes do not move
    }
    keys_of_.emplace(&s, std::move(mine));
    if (first && bus_.listening)
        bus_.listening(true);
}

void socket_hub::unsubscribe(bus_subscriber& s)
{
    if (!detach(s) || !keys_of_.empty())
        return;
    // Nobody listens: the next subscriber starts from what its own read sees.
    mark_.reset();
    read_.clear();
    recent_.clear();
    if (bus_.listening)
        bus_.listening(false);
}

bool socket_hub::detach(bus_subscriber& s)
{
    auto const found = keys_of_.find(&s);
    if (found == keys_of_.end())
        return false;
    for (auto const* key : found->second)
        if (auto channel = by_channel_.find(*key); channel != by_channel_.end()) {
            channel->second.erase(&s);
            if (channel->second.empty())
                by_channel_.erase(channel); // (*key is gone with it: not read again)
        }
    keys_of_.erase(found);
    ++detached_;
    return true;
}

void socket_hub::start_at(std::int64_t mark, std::vector<bus_row> const& committed,
                          std::chrono::steady_clock::time_point now)
{
    if (mark_)
        return;
    mark_ = mark;
    std::erase_if(read_, [mark](auto const& entry) { return entry.first <= mark; });
    // The ids committed above the mark were in the subscribe's read: remembered as read, so
    // that only the ids between them (not committed yet) are read when they come. Both lists
    // are in id order: merged in one pass.
    std::vector<std::pair<std::int64_t, std::chrono::steady_clock::time_point>> merged;
    merged.reserve(read_.size() + committed.size());
    auto held = read_.begin();
    for (auto const& row : committed) {
        if (row.id <= mark)
            continue;
        while (held != read_.end() && held->first < row.id)
            merged.push_back(*held++);
        if (held == read_.end() || held->first != row.id)
            merged.emplace_back(row.id, now);
    }
    merged.insert(merged.end(), held, read_.end());
    read_ = std::move(merged);
    recent_.start_at(mark, committed);
    // Rows whose notification came before the hub had a mark were not read for it: now.
    if (bus_.read_soon)
        bus_.read_soon();
}

std::optional<std::vector<shared_row>> socket_hub::replay(std::vector<std::string> const& keys, std::int64_t last)
{
    if (!mark_ || !recent_.answers(last))
        return std::nullopt;
    ++replays_from_memory_;
    return recent_.rows_after(keys, last);
}

void socket_hub::extend(read_plan& plan) const
{
    if (!mark_ || (!plan.after && !plan.newest))
        return;
    // Ids only the hub has read (the first subscriber's start rows, above the long polls'
    // window) are not skipped: the window needs them (deliver does not offer them twice).
    auto const window_ceiling = plan.after;
    plan.after = std::min(plan.after.value_or(*mark_), *mark_);
    plan.read_up_to.reset();
    plan.gaps.clear();
    // The ids read above `after` leave gaps (ids not committed when read); only those are
    // read again below the highest, as at most max_gaps intervals: past them, everything
    // from the last gap on is read (what was read before is not offered twice, see deliver).
    std::int64_t top = *plan.after;
    for (auto const& [id, when] : read_) {
        if (id <= top)
            continue;
        if (window_ceiling && id > *window_ceiling)
            break;
        if (id > top + 1) {
            if (plan.gaps.size() == max_gaps)
                break;
            plan.gaps.emplace_back(top, id);
        }
        top = id;
    }
    if (plan.gaps.empty())
        plan.after = top;
    else
        plan.read_up_to = top;
}

void socket_hub::deliver(std::vector<bus_row> const& rows, std::chrono::steady_clock::time_point now)
{
    if (keys_of_.empty())
        return;
    touched_.clear();
    std::size_t offered = 0; // rows offered to someone
    for (auto const& row : rows) {
        if (mark_ && row.id <= *mark_)
            continue; // settled before
        auto const at = std::lower_bound(read_.begin(), read_.end(), row.id,
                                         [](auto const& entry, std::int64_t wanted) { return entry.first < wanted; });
        if (at != read_.end() && at->first == row.id)
            continue; // read before (the window's part of the read may start lower than ours)
        read_.emplace(at, row.id, now);
        auto const shared = std::make_shared<bus_row const>(row);
        recent_.add(shared);
        auto const channel = by_channel_.find(row.key);
        if (channel == by_channel_.end())
            continue;
        ++offered;
        for (auto* s : channel->second) {
            s->offer(shared);
            touched_.push_back(s);
        }
    }
    if (offered > 1) { // (one row has one channel, whose subscribers are each there once)
        std::sort(touched_.begin(), touched_.end());
        touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
    }
    forget_old(now);
    // Flushing sends, and a send may close its connection, which unsubscribes it and may free
    // it: once anyone has left during this pass, each is checked to be still here first. (A
    // lookup for every one was two thirds of this function's time in a fan-out to 10,000.)
    auto const detached_before = detached_;
    for (auto* s : touched_)
        if (detached_ == detached_before || keys_of_.contains(s))
            s->flush();
}

void socket_hub::forget_old(std::chrono::steady_clock::time_point now)
{
    // Only from the smallest id up: an id above one still remembered must stay, or the next
    // read (after the mark, less the remembered) would bring it again.
    std::size_t old = 0;
    while (old < read_.size() && now - read_[old].second > history)
        ++old;
    if (old == 0)
        return;
    // The ids the mark passes that were never read are given up: a subscribe from below them
    // must read bus_bus, where such a row may have committed since.
    if (mark_) {
        std::int64_t below = *mark_;
        for (std::size_t i = 0; i < old; below = read_[i++].first)
            if (read_[i].first > below + 1)
                recent_.raise_floor(read_[i].first - 1);
    }
    mark_ = read_[old - 1].first;
    read_.erase(read_.begin(), read_.begin() + static_cast<std::ptrdiff_t>(old));
}

} // namespace lp::bus
