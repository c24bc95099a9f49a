// Engine.IO packets and the long-polling payload (protocol v4, and v3 for socket.io 2.x
// clients): sans-I/O codecs, no sockets, no timers.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lp::eio {

enum class packet_type : char {
    open = '0',
    close = '1',
    ping = '2',
    pong = '3',
    message = '4',
    upgrade = '5',
    noop = '6',
};

struct packet {
    packet_type type = packet_type::message;
    std::string data;
    bool binary = false; ///< a binary message: `data` holds the raw bytes

    friend bool operator==(packet const&, packet const&) = default;
};

/// A WebSocket text frame or one packet of a payload: a type digit, then the data.
/// Nullopt when the type is not one of the seven.
std::optional<packet> decode_text(std::string_view text);
/// A WebSocket binary frame: a binary message (v4). v3 prefixes the type byte (4).
packet decode_binary(std::string_view bytes, int version = 4);
/// The text form of a non-binary packet ("4hello").
std::string encode_text(packet const& p);

/// A text message encoded once for many sessions (a broadcast): its Engine.IO packet ("4" +
/// data), which a WebSocket writes as is, and the data, which a polling session queues.
class message_text {
public:
    explicit message_text(std::string_view data)
    {
        packet_.reserve(data.size() + 1);
        packet_.push_back(static_cast<char>(packet_type::message));
        packet_.append(data);
    }
    std::string_view packet() const { return packet_; }
    std::string_view data() const { return std::string_view(packet_).substr(1); }

private:
    std::string packet_;
};

/// A polling request's body. v4: packets joined by \x1e, binary ones as 'b' + base64.
/// v3: each packet as <length>:<packet> (length in UTF-16 code units), binary as b4<base64>.
/// Nullopt when any packet is malformed (the session is then closed).
std::optional<std::vector<packet>> decode_payload(std::string_view body, int version = 4);
/// A v3 client's binary POST body (application/octet-stream, XHR2): per packet a 0 (text)
/// or 1 (binary) byte, its length in decimal digits as bytes, 255, then the packet (a binary
/// one starts with its type byte).
std::optional<std::vector<packet>> decode_binary_payload(std::string_view body);
/// A polling response's body, in the same forms as decode_payload (v3 responses are text:
/// its clients read binary packets as b4<base64> in them).
std::string encode_payload(std::span<packet const> packets, int version = 4);

std::string base64_encode(std::string_view bytes);
/// Nullopt unless `text` is valid padded base64.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace lp::eio
