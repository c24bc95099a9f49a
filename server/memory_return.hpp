// Memory handed back to the system after a crowd of clients has gone. glibc keeps what they
// freed in its heap for reuse, so the server's RSS stayed at its peak after 10,000 parked
// clients left (scripts/bench "departures"). Once a second, when the open connections have
// fallen to half of their peak since the last return (and by at least `least`), malloc_trim
// gives the heap's free pages back: a few milliseconds on the loop, once per such fall.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <functional>

namespace lp {

class memory_return {
public:
    memory_return(boost::asio::io_context& io, std::function<std::size_t()> open_connections,
                  std::size_t least = 1000);

    void start();
    void stop();

private:
    void check();

    boost::asio::steady_timer timer_;
    std::function<std::size_t()> open_connections_;
    std::size_t least_;
    std::size_t peak_ = 0; ///< open connections at most since the last return
    bool stopped_ = false;
};

} // namespace lp
