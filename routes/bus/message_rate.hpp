// Odoo's WebSocket rate limit: a client may send `burst` messages at any pace; the next one
// must come at least burst × delay after the one `burst` messages before it, else the socket
// is closed with 1013 (websocket_rate_limit_burst, websocket_rate_limit_delay).
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

namespace lp::bus {

class message_rate {
public:
    using clock = std::chrono::steady_clock;

    message_rate(std::size_t burst, clock::duration delay) : burst_(burst == 0 ? 1 : burst), delay_(delay) {}

    /// Counts a message arriving at `now`; false when it comes too fast (it is not counted).
    bool allow(clock::time_point now)
    {
        if (stamps_.size() < burst_) {
            stamps_.push_back(now);
            return true;
        }
        auto& oldest = stamps_[next_]; // the stamps are a ring once full
        if (now - oldest < delay_ * static_cast<long>(burst_))
            return false;
        oldest = now;
        next_ = (next_ + 1) % burst_;
        return true;
    }

private:
    std::size_t burst_;
    clock::duration delay_;
    std::vector<clock::time_point> stamps_; ///< empty until the first message
    std::size_t next_ = 0;
};

} // namespace lp::bus
