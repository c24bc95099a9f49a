// What every fuzz target shares: the input as text, cut in two at the first NUL byte when a
// target needs two strings (a route pattern and a path, a domain and an order spec).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

namespace lp::fuzz {

inline std::string_view text(std::uint8_t const* data, std::size_t size)
{
    return {reinterpret_cast<char const*>(data), size};
}

/// {before, after} the first '\0'; after is empty when there is none.
inline std::pair<std::string_view, std::string_view> split_at_nul(std::string_view input)
{
    auto const nul = input.find('\0');
    if (nul == std::string_view::npos)
        return {input, {}};
    return {input.substr(0, nul), input.substr(nul + 1)};
}

} // namespace lp::fuzz
