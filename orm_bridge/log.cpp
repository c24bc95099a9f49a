#include "orm_bridge/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <unistd.h>

namespace lp::log {
namespace {
level g_minimum = level::info;

char const* name_of(level l)
{
    switch (l) {
    case level::debug: return "DEBUG";
    case level::info: return "INFO";
    case level::warning: return "WARNING";
    case level::error: return "ERROR";
    case level::critical: return "CRITICAL";
    }
    return "?";
}
} // namespace

level parse_level(std::string_view name)
{
    if (name == "debug" || name == "debug_rpc" || name == "debug_sql" || name == "debug_rpc_answer")
        return level::debug;
    if (name == "info")
        return level::info;
    if (name == "warn" || name == "warning")
        return level::warning;
    if (name == "error")
        return level::error;
    if (name == "critical")
        return level::critical;
    throw std::invalid_argument("unknown log level '" + std::string(name)
                                + "' (expected debug, info, warn, error or critical)");
}

void set_level(level minimum) { g_minimum = minimum; }

bool enabled(level l) { return l >= g_minimum; }

void write(level l, std::string_view component, std::string_view message) noexcept
{
    using namespace std::chrono;
    auto const now = system_clock::now();
    auto const seconds_since_epoch = system_clock::to_time_t(now);
    auto const millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm local{};
    localtime_r(&seconds_since_epoch, &local);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
    // One fprintf per line so that lines from one process never interleave.
    std::fprintf(stderr, "%s,%03d %d %s longpolling %.*s: %.*s\n", stamp, static_cast<int>(millis),
                 static_cast<int>(getpid()), name_of(l), static_cast<int>(component.size()),
                 component.data(), static_cast<int>(message.size()), message.data());
    std::fflush(stderr);
}

} // namespace lp::log
