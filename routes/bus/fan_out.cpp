#include "routes/bus/fan_out.hpp"

#include "routes/bus/arrival_rows.hpp"
#include "routes/bus/bus_core.hpp"

#include <algorithm>
#include <iterator>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace lp::bus {

std::string const& shared_answers::text_for(std::vector<bus_row const*> const& rows)
{
    std::string signature;
    signature.reserve(rows.size() * sizeof(std::int64_t));
    for (auto const* row : rows)
        signature.append(reinterpret_cast<char const*>(&row->id), sizeof row->id);
    auto [answer, added] = by_ids_.try_emplace(std::move(signature));
    if (added)
        answer->second = json_list(rows);
    return answer->second;
}

void bus_core::settle_arrivals(std::vector<bus_row> const& rows)
{
    // The arrivals' read ran after the window's, so it holds every row for them up to at least
    // the window's ceiling: whoever finds nothing there parks from the ceiling on.
    arrival_rows const read(rows);
    shared_answers answers;
    std::vector<bus_row const*> mine;
    for (auto* w : std::exchange(reading_, {})) {
        read.select(w->keys, w->last, mine);
        if (!mine.empty()) {
            ++answered_;
            delivered_ += mine.size();
            finish(*w, answers.text_for(mine));
            continue;
        }
        w->last = std::max(w->last, window_.ceiling());
        park(*w);
    }
}

void bus_core::fan_out(std::unordered_set<std::string> const& touched, bool everyone)
{
    // Who may have news: the parked polls of the touched channels, those left unchecked, and
    // everyone after a reconnection. Each once, though a poll may listen on several touched
    // channels: marked with the round's number instead of gathered in a set.
    auto const round = rounds_;
    candidates_.clear();
    auto consider = [&](bus_waiter* w) {
        if (w->considered_in != round) {
            w->considered_in = round;
            candidates_.push_back(w);
        }
    };
    for (auto* w : std::exchange(unchecked_, {})) {
        w->unchecked = false;
        consider(w);
    }
    if (everyone)
        parked_.for_each(consider);
    else
        for (auto const& key : touched)
            parked_.for_each_on(key, consider);

    shared_answers answers;
    for (auto* w : candidates_) {
        if (!window_.holds_after(w->last)) {
            // Parked before the window's first row (a long outage): the next shared read.
            parked_.remove(*w);
            queue(*w);
            continue;
        }
        auto rows = window_.rows_after(w->keys, w->last);
        if (rows.empty())
            continue;
        ++answered_;
        delivered_ += rows.size();
        finish(*w, answers.text_for(rows));
    }
}

} // namespace lp::bus
