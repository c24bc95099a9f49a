#include "routes/bus/replay_window.hpp"

#include <algorithm>

namespace lp::bus {

namespace {
bool by_id(shared_row const& a, shared_row const& b) { return a->id < b->id; }
} // namespace

void replay_window::start_at(std::int64_t floor, std::vector<bus_row> const& committed)
{
    started_ = true;
    raise_floor(floor);
    ceiling_ = std::max(ceiling_, floor_);
    // Both in id order: merged in one pass, each id once.
    std::deque<shared_row> merged;
    auto held = rows_.begin();
    for (auto const& row : committed) {
        if (row.id <= floor_)
            continue;
        while (held != rows_.end() && (*held)->id < row.id)
            merged.push_back(std::move(*held++));
        if (held != rows_.end() && (*held)->id == row.id)
            continue; // read since, as well
        merged.push_back(std::make_shared<bus_row const>(row));
        ceiling_ = std::max(ceiling_, row.id);
    }
    std::move(held, rows_.end(), std::back_inserter(merged));
    rows_ = std::move(merged);
    trim();
}

void replay_window::add(shared_row row)
{
    if (started_ && row->id <= floor_)
        return;
    ceiling_ = std::max(ceiling_, row->id);
    if (rows_.empty() || rows_.back()->id < row->id)
        rows_.push_back(std::move(row)); // in id order: the usual case
    else if (auto at = std::lower_bound(rows_.begin(), rows_.end(), row, by_id); at == rows_.end() || (*at)->id != row->id)
        rows_.insert(at, std::move(row)); // committed late, below rows read before
    trim();
}

void replay_window::raise_floor(std::int64_t id)
{
    floor_ = std::max(floor_, id);
    while (!rows_.empty() && rows_.front()->id <= floor_)
        rows_.pop_front();
}

void replay_window::clear()
{
    rows_.clear();
    started_ = false;
    floor_ = ceiling_ = 0;
}

void replay_window::trim()
{
    while (rows_.size() > max_rows) {
        floor_ = std::max(floor_, rows_.front()->id);
        rows_.pop_front();
    }
}

std::vector<shared_row> replay_window::rows_after(std::vector<std::string> const& keys, std::int64_t last) const
{
    std::vector<shared_row> out;
    auto it = std::partition_point(rows_.begin(), rows_.end(), [last](shared_row const& r) { return r->id <= last; });
    for (; it != rows_.end(); ++it)
        if (std::find(keys.begin(), keys.end(), (*it)->key) != keys.end())
            out.push_back(*it);
    return out;
}

} // namespace lp::bus
