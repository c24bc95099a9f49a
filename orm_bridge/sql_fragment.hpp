// A piece of SQL with its bound parameters: client values only ever travel as parameters,
// never as SQL text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lp::orm {

struct sql_fragment {
    std::string sql;                                 ///< uses $1, $2, ... placeholders
    std::vector<std::optional<std::string>> params;  ///< text-format values; nullopt = SQL NULL

    /// Appends a parameter and returns its placeholder ("$N", N = params.size() after adding).
    ///
    /// Errors: std::bad_alloc only.
    std::string bind(std::optional<std::string> value)
    {
        params.push_back(std::move(value));
        return "$" + std::to_string(params.size());
    }
};

/// Quotes an SQL identifier: "name", with every " inside doubled.
///
/// Errors: std::bad_alloc only.
inline std::string quote_identifier(std::string_view name)
{
    std::string out;
    out.reserve(name.size() + 2);
    out += '"';
    for (char c : name) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
    return out;
}

} // namespace lp::orm
