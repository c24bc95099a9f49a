#include "routes/bus/bus_core.hpp"

#include <algorithm>
#include <utility>

namespace lp::bus {

bus_core::bus_core(bus_actions& actions) : actions_(actions) {}

bus_core::~bus_core() = default;

bus_waiter* bus_core::arrive(std::vector<std::string> keys, std::int64_t last, bus_clock::time_point expires,
                             std::shared_ptr<deferred_reply> reply)
{
    if (stopping_) {
        actions_.answer(std::move(reply), "[]");
        return nullptr;
    }
    auto owned = std::make_unique<bus_waiter>();
    auto& w = *owned;
    w.keys = std::move(keys);
    w.last = last;
    w.reply = std::move(reply);
    w.expiry = expiries_.emplace(expires, std::move(owned));

    if (!window_.covers(last)) {
        queue(w); // a first poll, or older than the window: the next shared read
        maybe_read();
        return &w;
    }
    // A re-poll: answered from the window, never by a read of its own.
    auto rows = window_.rows_after(w.keys, w.last);
    if (!rows.empty()) {
        ++answered_;
        delivered_ += rows.size();
        finish(w, json_list(rows));
        return nullptr;
    }
    // Nothing yet: parked, and checked again after the next fetch of new rows (one query for
    // every re-poll meanwhile), so that a row whose notification is still on its way, or that
    // was inserted without one, still comes.
    park(w);
    w.unchecked = true;
    unchecked_.insert(&w);
    ++repolls_;
    // The fetch is always a tick away, never right after the read out now (which may have
    // started before that row): a reconnecting crowd of re-polls would otherwise keep one
    // read after another going. Never re-arm: re-polls would push the tick (and a retry's
    // back-off) away forever.
    if (read_out_)
        recheck_ = true;
    if (!tick_armed_)
        arm(last_batch_ >= storm_batch ? storm_gather : gather);
    return &w;
}

void bus_core::depart(bus_waiter& w)
{
    ++departed_;
    forget(w); // its reply is dropped unanswered: the transport closes the connection
}

void bus_core::notified()
{
    // Fetch when someone may care: a window to keep current (re-polls are answered from it),
    // or polls (parked, or in a read that the row may have missed).
    if (!window_.known() && expiries_.empty() && !external_)
        return;
    refresh_ = true;
    maybe_read();
}

void bus_core::wake_everyone()
{
    wake_all_ = true;
    refresh_ = true;
    maybe_read();
}

void bus_core::tick_elapsed()
{
    tick_armed_ = false;
    backing_off_ = false;
    if (!unchecked_.empty() || std::exchange(recheck_, false))
        refresh_ = true;
    maybe_read(true);
}

void bus_core::maybe_read(bool tick_due)
{
    if (read_out_ || stopping_ || backing_off_)
        return;
    // A notification reads at once, taking any arrivals along; arrivals alone wait for the
    // tick, so that many share one read.
    if (refresh_ || wake_all_ || (tick_due && !queued_.empty()))
        begin_read();
    else if (!queued_.empty() && !tick_armed_)
        arm(last_batch_ >= storm_batch ? storm_gather : gather);
}

void bus_core::arm(std::chrono::milliseconds delay)
{
    tick_armed_ = true;
    actions_.arm_tick(delay);
}

void bus_core::begin_read()
{
    read_plan plan;
    if (!window_.known())
        plan.newest = true;
    else if (refresh_ || wake_all_)
        plan.after = window_.ceiling();
    round_everyone_ = wake_all_;
    refresh_ = wake_all_ = false;

    std::unordered_set<std::string> keys;
    for (auto* w : queued_) {
        w->at = bus_waiter::stage::reading;
        keys.insert(w->keys.begin(), w->keys.end());
        if (w->last > 0)
            plan.arrivals_since = std::min(plan.arrivals_since.value_or(w->last), w->last);
        else
            plan.first_polls = true;
    }
    reading_ = std::move(queued_);
    queued_.clear();
    if (!reading_.empty() || repolls_ > 0)
        last_batch_ = reading_.size() + std::exchange(repolls_, 0);
    plan.arrival_keys.assign(keys.begin(), keys.end());
    std::sort(plan.arrival_keys.begin(), plan.arrival_keys.end());
    if (!reading_.empty())
        ++arrival_reads_;
    ++rounds_;
    read_out_ = true;
    actions_.start_read(std::move(plan));
}

void bus_core::read_done(read_result result)
{
    read_out_ = false;
    if (stopping_)
        return;
    if (result.newest)
        window_.start_at(*result.newest);
    if (result.more)
        refresh_ = true;
    auto const touched = window_.remember(std::move(result.fresh));
    settle_arrivals(result.for_arrivals);
    fan_out(touched, std::exchange(round_everyone_, false));
    maybe_read();
}

void bus_core::read_failed()
{
    read_out_ = false;
    if (stopping_)
        return;
    // Nobody is answered with an error: the arrivals wait for the next attempt (or their
    // expiry), parked polls stay parked, and the round is owed again.
    for (auto* w : reading_)
        w->at = bus_waiter::stage::queued;
    queued_.merge(reading_);
    reading_.clear();
    bool const owed_everyone = std::exchange(round_everyone_, false);
    wake_all_ = wake_all_ || owed_everyone;
    refresh_ = window_.known();
    backing_off_ = true;
    arm(retry);
}

void bus_core::expire_due(bus_clock::time_point now)
{
    while (!expiries_.empty() && expiries_.begin()->first <= now) {
        ++expired_;
        finish(*expiries_.begin()->second, "[]");
    }
}

std::optional<bus_clock::time_point> bus_core::next_expiry() const
{
    if (expiries_.empty())
        return std::nullopt;
    return expiries_.begin()->first;
}

void bus_core::stop()
{
    stopping_ = true;
    while (!expiries_.empty())
        finish(*expiries_.begin()->second, "[]");
}

void bus_core::park(bus_waiter& w)
{
    w.at = bus_waiter::stage::parked;
    parked_.add(w);
}

void bus_core::queue(bus_waiter& w)
{
    w.at = bus_waiter::stage::queued;
    queued_.insert(&w);
}

void bus_core::finish(bus_waiter& w, std::string_view rows_json)
{
    actions_.answer(forget(w), rows_json);
}

std::shared_ptr<deferred_reply> bus_core::forget(bus_waiter& w)
{
    switch (w.at) {
    case bus_waiter::stage::queued: queued_.erase(&w); break;
    case bus_waiter::stage::reading: reading_.erase(&w); break;
    case bus_waiter::stage::parked:
        parked_.remove(w);
        if (w.unchecked)
            unchecked_.erase(&w);
        break;
    }
    auto reply = std::move(w.reply);
    expiries_.erase(w.expiry); // destroys w
    return reply;
}

bus_stats bus_core::stats() const
{
    return {expiries_.size(), queued_.size() + reading_.size(), parked_.channels(), window_.size(), rounds_,
            arrival_reads_, answered_, expired_, departed_, delivered_};
}

} // namespace lp::bus
