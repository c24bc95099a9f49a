// A rate limit per key (a client address, a POS): a token bucket of `per_minute` tokens,
// refilled evenly over the minute, so a burst of a minute's worth is allowed after a pause.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lp {

class rate_limiter {
public:
    using clock = std::chrono::steady_clock;

    /// `per_minute` 0: no limit.
    explicit rate_limiter(unsigned per_minute) : per_minute_(per_minute) {}

    /// Takes one token for `key`: nothing when allowed, else how long until a token is there.
    std::optional<std::chrono::seconds> take(std::string_view key, clock::time_point now = clock::now());

    /// Keys tracked now (full buckets are forgotten from time to time).
    std::size_t keys() const { return buckets_.size(); }

private:
    struct bucket {
        double tokens;
        clock::time_point updated;
    };
    double refilled(bucket const& b, clock::time_point now) const;
    void forget_full_buckets(clock::time_point now);

    unsigned per_minute_;
    std::unordered_map<std::string, bucket> buckets_;
    std::size_t prune_at_ = 1024; ///< size at which full buckets are dropped (doubles with what remains)
};

} // namespace lp
