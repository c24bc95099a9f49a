#include "orm_bridge/python_repr.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace lp::orm {
namespace {

struct code_range {
    char32_t first;
    char32_t last;
};

// Code points above U+00FF that str.isprintable rejects, sorted and disjoint. Categories Cf,
// Zs, Zl, Zp, Cs and Co come from the Unicode Character Database (the ranges agree for
// Unicode 14 and 15). Of the unassigned (Cn) ones only those stable across versions are
// listed: U+2065, U+FDD0-FDEF, U+FFF0-FFF8, planes 4-13 and plane 14's gaps; each plane's
// last two code points are checked apart.
constexpr code_range non_printable[] = {
    {0x0600, 0x0605},   {0x061c, 0x061c},   {0x06dd, 0x06dd},   {0x070f, 0x070f},
    {0x0890, 0x0891},   {0x08e2, 0x08e2},   {0x1680, 0x1680},   {0x180e, 0x180e},
    {0x2000, 0x200f},   {0x2028, 0x202f},   {0x205f, 0x206f},   {0x3000, 0x3000},
    {0xd800, 0xf8ff},   {0xfdd0, 0xfdef},   {0xfeff, 0xfeff},   {0xfff0, 0xfffb},
    {0x110bd, 0x110bd}, {0x110cd, 0x110cd}, {0x13430, 0x1343f}, {0x1bca0, 0x1bca3},
    {0x1d173, 0x1d17a}, {0x40000, 0xe00ff}, {0xe01f0, 0x10ffff},
};

bool is_printable(char32_t cp)
{
    if (cp < 0x100) // C0, DEL, C1, NBSP (Zs) and the soft hyphen (Cf)
        return cp >= 0x20 && !(cp >= 0x7f && cp <= 0xa0) && cp != 0xad;
    // Every plane's last two code points are noncharacters.
    if ((cp & 0xfffe) == 0xfffe)
        return false;
    auto const after = std::upper_bound(std::begin(non_printable), std::end(non_printable), cp,
                                        [](char32_t c, code_range const& r) { return c < r.first; });
    return after == std::begin(non_printable) || cp > std::prev(after)->last;
}

/// Decodes the code point starting at s[i] and advances i. Errors: std::invalid_argument.
char32_t next_code_point(std::string_view s, std::size_t& i)
{
    auto const lead = static_cast<unsigned char>(s[i]);
    std::size_t length = 1;
    char32_t cp = lead;
    char32_t smallest = 0;
    if (lead >= 0x80) {
        if ((lead & 0xe0) == 0xc0)
            length = 2, cp = lead & 0x1f, smallest = 0x80;
        else if ((lead & 0xf0) == 0xe0)
            length = 3, cp = lead & 0x0f, smallest = 0x800;
        else if ((lead & 0xf8) == 0xf0)
            length = 4, cp = lead & 0x07, smallest = 0x10000;
        else
            throw std::invalid_argument("python_repr: string is not valid UTF-8");
        if (s.size() - i < length)
            throw std::invalid_argument("python_repr: string is not valid UTF-8");
        for (std::size_t k = 1; k < length; ++k) {
            auto const next = static_cast<unsigned char>(s[i + k]);
            if ((next & 0xc0) != 0x80)
                throw std::invalid_argument("python_repr: string is not valid UTF-8");
            cp = (cp << 6) | (next & 0x3f);
        }
        if (cp < smallest || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            throw std::invalid_argument("python_repr: string is not valid UTF-8");
    }
    i += length;
    return cp;
}

void append_hex_escape(std::string& out, char32_t cp)
{
    char const digits[] = "0123456789abcdef";
    int width = 8;
    if (cp <= 0xff)
        out += "\\x", width = 2;
    else if (cp <= 0xffff)
        out += "\\u", width = 4;
    else
        out += "\\U";
    for (int shift = 4 * (width - 1); shift >= 0; shift -= 4)
        out += digits[(cp >> shift) & 0xf];
}

} // namespace

std::string python_string_repr(std::string_view utf8)
{
    // Python prefers single quotes and switches only to avoid escaping a ' it contains.
    bool const has_single = utf8.find('\'') != std::string_view::npos;
    bool const has_double = utf8.find('"') != std::string_view::npos;
    char const quote = has_single && !has_double ? '"' : '\'';

    std::string out;
    out.reserve(utf8.size() + 2);
    out += quote;
    std::size_t i = 0;
    while (i < utf8.size()) {
        auto const start = i;
        auto const cp = next_code_point(utf8, i);
        if (cp == static_cast<char32_t>(quote) || cp == U'\\')
            out += '\\', out += static_cast<char>(cp);
        else if (cp == U'\t')
            out += "\\t";
        else if (cp == U'\n')
            out += "\\n";
        else if (cp == U'\r')
            out += "\\r";
        else if (is_printable(cp))
            out.append(utf8.substr(start, i - start));
        else
            append_hex_escape(out, cp);
    }
    out += quote;
    return out;
}

std::string python_repr(boost::json::value const& v)
{
    switch (v.kind()) {
    case boost::json::kind::null: return "None";
    case boost::json::kind::bool_: return v.get_bool() ? "True" : "False";
    case boost::json::kind::int64: return std::to_string(v.get_int64());
    case boost::json::kind::uint64: return std::to_string(v.get_uint64());
    case boost::json::kind::string: {
        auto const& s = v.get_string();
        return python_string_repr(std::string_view(s.data(), s.size()));
    }
    case boost::json::kind::double_:
    case boost::json::kind::array:
    case boost::json::kind::object: break;
    }
    throw std::invalid_argument("python_repr: only None, bool, int and str are supported");
}

std::string python_tuple_repr(std::span<boost::json::value const> items)
{
    std::string out = "(";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0)
            out += ", ";
        out += python_repr(items[i]);
    }
    // A 1-tuple needs its trailing comma, or Python would print a parenthesised value.
    if (items.size() == 1)
        out += ',';
    out += ')';
    return out;
}

} // namespace lp::orm
