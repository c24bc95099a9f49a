#include "server/memory_return.hpp"

#include "orm_bridge/log.hpp"

#include <malloc.h>

#include <chrono>

namespace lp {

memory_return::memory_return(boost::asio::io_context& io, std::function<std::size_t()> open_connections,
                             std::size_t least)
    : timer_(io), open_connections_(std::move(open_connections)), least_(least)
{
}

void memory_return::start()
{
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopped_)
            return;
        check();
        start();
    });
}

void memory_return::stop()
{
    stopped_ = true;
    timer_.cancel();
}

void memory_return::check()
{
    auto const open = open_connections_();
    if (open > peak_)
        peak_ = open;
    if (peak_ - open < least_ || open > peak_ / 2)
        return;
    auto const started = std::chrono::steady_clock::now();
    ::malloc_trim(0);
    log::debug("server", "connections ", peak_, " -> ", open, ": free heap pages returned in ",
               std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count(), " ms");
    peak_ = open;
}

} // namespace lp
