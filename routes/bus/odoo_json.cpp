#include "routes/bus/odoo_json.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>

namespace lp::bus {
namespace {

void append_escaped_unit(std::string& out, unsigned unit)
{
    static constexpr char hex[] = "0123456789abcdef";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4)
        out += hex[(unit >> shift) & 0xf];
}

/// Python's ensure_ascii string encoding of UTF-8 text.
void append_string(std::string& out, boost::json::string_view text)
{
    out += '"';
    for (std::size_t i = 0; i < text.size();) {
        auto const c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20 || c == 0x7f)
                    append_escaped_unit(out, c);
                else
                    out += static_cast<char>(c);
            }
            ++i;
            continue;
        }
        // Decode one UTF-8 sequence (Boost.JSON only holds valid UTF-8).
        unsigned length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        unsigned code = c & (length == 4 ? 0x07 : length == 3 ? 0x0f : 0x1f);
        for (unsigned k = 1; k < length && i + k < text.size(); ++k)
            code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
        i += length;
        if (code >= 0x10000) {
            code -= 0x10000;
            append_escaped_unit(out, 0xd800 + (code >> 10));
            append_escaped_unit(out, 0xdc00 + (code & 0x3ff));
        }
        else {
            append_escaped_unit(out, code);
        }
    }
    out += '"';
}

/// Python's float repr: the shortest text that reads back to the same double.
void append_double(std::string& out, double d)
{
    if (std::isnan(d)) {
        out += "NaN";
        return;
    }
    if (std::isinf(d)) {
        out += d > 0 ? "Infinity" : "-Infinity";
        return;
    }
    char buffer[32];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
    std::string text(buffer, end);
    // Python writes 1.0 (not 1) and 1e+16 (not 1e16). (It also prefers positional notation
    // up to 1e16 where to_chars may pick the shorter exponent form; channels hold no floats.)
    if (auto e = text.find('e'); e != std::string::npos) {
        if (text[e + 1] != '-' && text[e + 1] != '+')
            text = text.substr(0, e + 1) + '+' + text.substr(e + 1);
    }
    else if (text.find('.') == std::string::npos) {
        text += ".0";
    }
    out += text;
}

void append(std::string& out, boost::json::value const& v)
{
    switch (v.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: out += std::to_string(v.get_int64()); break;
    case boost::json::kind::uint64: out += std::to_string(v.get_uint64()); break;
    case boost::json::kind::double_: append_double(out, v.get_double()); break;
    case boost::json::kind::string: append_string(out, v.get_string()); break;
    case boost::json::kind::array: {
        out += '[';
        bool first = true;
        for (auto const& item : v.get_array()) {
            if (!first)
                out += ',';
            first = false;
            append(out, item);
        }
        out += ']';
        break;
    }
    case boost::json::kind::object: {
        out += '{';
        bool first = true;
        for (auto const& [key, item] : v.get_object()) {
            if (!first)
                out += ',';
            first = false;
            append_string(out, key);
            out += ':';
            append(out, item);
        }
        out += '}';
        break;
    }
    }
}
} // namespace

std::string odoo_json(boost::json::value const& value)
{
    std::string out;
    append(out, value);
    return out;
}

} // namespace lp::bus
