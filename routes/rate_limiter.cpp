#include "routes/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace lp {

double rate_limiter::refilled(bucket const& b, clock::time_point now) const
{
    double const elapsed = std::chrono::duration<double>(now - b.updated).count();
    return std::min<double>(per_minute_, b.tokens + elapsed * per_minute_ / 60.0);
}

void rate_limiter::forget_full_buckets(clock::time_point now)
{
    // A full bucket is the same as no bucket. Run when the map has doubled since the last
    // pass, so the walk costs O(1) per key added.
    std::erase_if(buckets_, [&](auto const& entry) { return refilled(entry.second, now) >= per_minute_; });
    prune_at_ = std::max<std::size_t>(1024, buckets_.size() * 2);
}

std::optional<std::chrono::seconds> rate_limiter::take(std::string_view key, clock::time_point now)
{
    if (per_minute_ == 0)
        return std::nullopt;
    if (buckets_.size() >= prune_at_)
        forget_full_buckets(now);
    auto [it, added] = buckets_.try_emplace(std::string(key), bucket{static_cast<double>(per_minute_), now});
    auto& b = it->second;
    b.tokens = refilled(b, now);
    b.updated = now;
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return std::nullopt;
    }
    auto const wait = (1.0 - b.tokens) * 60.0 / per_minute_;
    return std::chrono::seconds(static_cast<std::int64_t>(std::ceil(wait)));
}

} // namespace lp
