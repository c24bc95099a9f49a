// Logging for every layer, in the format OpenERP/Odoo servers use:
//   2013-08-07 07:15:02,386 64916 INFO longpolling <component>: <message>
// It lives in orm_bridge because that is the bottom layer every other module may use.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace lp::log {

enum class level { debug, info, warning, error, critical };

/// Parses "debug", "info", "warn"/"warning", "error", "critical" (Odoo's log_level names).
/// Errors: std::invalid_argument naming the value.
level parse_level(std::string_view name);

void set_level(level minimum);
bool enabled(level l);

/// Writes one line to standard error. Never throws.
void write(level l, std::string_view component, std::string_view message) noexcept;

namespace detail {
template <class... Parts>
void emit(level l, std::string_view component, Parts const&... parts)
{
    if (!enabled(l))
        return;
    std::ostringstream text;
    (text << ... << parts);
    write(l, component, text.str());
}
} // namespace detail

template <class... Parts>
void debug(std::string_view component, Parts const&... parts) { detail::emit(level::debug, component, parts...); }
template <class... Parts>
void info(std::string_view component, Parts const&... parts) { detail::emit(level::info, component, parts...); }
template <class... Parts>
void warning(std::string_view component, Parts const&... parts) { detail::emit(level::warning, component, parts...); }
template <class... Parts>
void error(std::string_view component, Parts const&... parts) { detail::emit(level::error, component, parts...); }

} // namespace lp::log
