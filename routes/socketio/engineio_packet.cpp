#include "routes/socketio/engineio_packet.hpp"

#include <boost/beast/core/detail/base64.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace lp::eio {
namespace {
namespace base64 = boost::beast::detail::base64;

constexpr char record_separator = '\x1e';

bool is_type(char c) { return c >= '0' && c <= '6'; }

/// The UTF-8 sequence a byte starts: its bytes and its UTF-16 code units (four-byte sequences
/// are surrogate pairs). Read by the lead byte alone, so that the writer and the reader of a v3
/// payload count even invalid UTF-8 the same way.
struct sequence {
    std::size_t bytes;
    std::size_t units;
};
sequence sequence_at(unsigned char lead)
{
    if (lead < 0x80)
        return {1, 1};
    if (lead >= 0xF0)
        return {4, 2};
    return {lead >= 0xE0 ? 3u : 2u, 1};
}

/// UTF-16 code units of UTF-8 text (v3 payloads count lengths in them, as JavaScript does).
std::size_t utf16_length(std::string_view text)
{
    std::size_t units = 0;
    for (std::size_t at = 0; at < text.size();) {
        auto const s = sequence_at(static_cast<unsigned char>(text[at]));
        units += s.units;
        at += s.bytes;
    }
    return units;
}

/// Bytes of `text` that make up its first `units` UTF-16 code units; npos when it is shorter.
std::size_t bytes_of_units(std::string_view text, std::size_t units)
{
    std::size_t at = 0;
    while (units > 0) {
        if (at >= text.size())
            return std::string_view::npos;
        auto const s = sequence_at(static_cast<unsigned char>(text[at]));
        if (s.units > units)
            return std::string_view::npos;
        units -= s.units;
        at += s.bytes;
    }
    return at <= text.size() ? at : std::string_view::npos;
}

std::optional<packet> decode_one(std::string_view text, int version)
{
    if (!text.empty() && text.front() == 'b') {
        // v4: b<base64>; v3: b<type><base64>
        auto rest = text.substr(1);
        if (version == 3) {
            if (rest.empty() || !is_type(rest.front()))
                return std::nullopt;
            rest.remove_prefix(1);
        }
        auto bytes = base64_decode(rest);
        if (!bytes)
            return std::nullopt;
        return packet{packet_type::message, std::move(*bytes), true};
    }
    return decode_text(text);
}

std::string encode_one(packet const& p, int version)
{
    if (!p.binary)
        return encode_text(p);
    return (version == 3 ? "b4" : "b") + base64_encode(p.data);
}
} // namespace

std::optional<packet> decode_text(std::string_view text)
{
    if (text.empty() || !is_type(text.front()))
        return std::nullopt;
    return packet{static_cast<packet_type>(text.front()), std::string(text.substr(1)), false};
}

packet decode_binary(std::string_view bytes, int version)
{
    if (version == 3 && !bytes.empty())
        bytes.remove_prefix(1); // the type byte (always a message)
    return packet{packet_type::message, std::string(bytes), true};
}

std::string encode_text(packet const& p)
{
    std::string out;
    out.reserve(p.data.size() + 1);
    out.push_back(static_cast<char>(p.type));
    out.append(p.data);
    return out;
}

std::optional<std::vector<packet>> decode_payload(std::string_view body, int version)
{
    std::vector<packet> packets;
    if (version == 3) {
        while (!body.empty()) {
            auto const colon = body.find(':');
            if (colon == std::string_view::npos || colon == 0)
                return std::nullopt;
            std::size_t units = 0;
            auto const [end, ec] = std::from_chars(body.data(), body.data() + colon, units);
            if (ec != std::errc{} || end != body.data() + colon || units == 0)
                return std::nullopt;
            body.remove_prefix(colon + 1);
            auto const size = bytes_of_units(body, units);
            if (size == std::string_view::npos)
                return std::nullopt;
            auto p = decode_one(body.substr(0, size), 3);
            if (!p)
                return std::nullopt;
            packets.push_back(std::move(*p));
            body.remove_prefix(size);
        }
        if (packets.empty())
            return std::nullopt;
        return packets;
    }
    for (;;) {
        auto const end = body.find(record_separator);
        auto p = decode_one(body.substr(0, end), 4);
        if (!p)
            return std::nullopt;
        packets.push_back(std::move(*p));
        if (end == std::string_view::npos)
            return packets;
        body.remove_prefix(end + 1);
    }
}

std::optional<std::vector<packet>> decode_binary_payload(std::string_view body)
{
    std::vector<packet> packets;
    while (!body.empty()) {
        auto const kind = static_cast<unsigned char>(body.front());
        if (kind > 1)
            return std::nullopt;
        body.remove_prefix(1);
        std::size_t length = 0;
        std::size_t digits = 0;
        while (digits < body.size() && static_cast<unsigned char>(body[digits]) != 255) {
            auto const digit = static_cast<unsigned char>(body[digits]);
            if (digit > 9 || digits >= 9)
                return std::nullopt;
            length = length * 10 + digit;
            ++digits;
        }
        if (digits == 0 || digits >= body.size() || length == 0 || length > body.size() - digits - 1)
            return std::nullopt;
        auto const content = body.substr(digits + 1, length);
        body.remove_prefix(digits + 1 + length);
        auto p = kind == 0 ? decode_text(content) : std::optional<packet>(decode_binary(content, 3));
        if (!p)
            return std::nullopt;
        packets.push_back(std::move(*p));
    }
    if (packets.empty())
        return std::nullopt;
    return packets;
}

std::string encode_payload(std::span<packet const> packets, int version)
{
    std::string out;
    for (auto const& p : packets) {
        auto text = encode_one(p, version);
        if (version == 3) {
            out.append(std::to_string(utf16_length(text))).push_back(':');
        }
        else if (!out.empty()) {
            out.push_back(record_separator);
        }
        out.append(text);
    }
    return out;
}

std::string base64_encode(std::string_view bytes)
{
    std::string out(base64::encoded_size(bytes.size()), '\0');
    out.resize(base64::encode(out.data(), bytes.data(), bytes.size()));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text)
{
    if (text.size() % 4 != 0)
        return std::nullopt;
    auto const last = text.find_last_not_of('=');
    auto const digits = text.substr(0, last == std::string_view::npos ? 0 : last + 1);
    auto const padding = text.size() - digits.size();
    if (padding > 2 || !std::all_of(digits.begin(), digits.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '+' || c == '/';
        }))
        return std::nullopt;
    std::string out(base64::decoded_size(text.size()), '\0');
    auto const [written, read] = base64::decode(out.data(), text.data(), text.size());
    out.resize(written);
    return out;
}

} // namespace lp::eio
