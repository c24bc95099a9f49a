// Socket.IO packets (protocol v5, and v4 for socket.io 2.x clients over EIO=3): the text
// form `<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]` and its binary attachments.
// Sans-I/O: no sockets, no timers.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lp::sio {

enum class packet_type : char {
    connect = '0',
    disconnect = '1',
    event = '2',
    ack = '3',
    connect_error = '4',
    binary_event = '5',
    binary_ack = '6',
};

/// One packet. Binary data stays out of `data`: a `{"_placeholder":true,"num":N}` object
/// marks where attachment N goes, as on the wire.
struct packet {
    packet_type type = packet_type::event;
    std::string nsp = "/";
    std::optional<std::uint64_t> id; ///< the ack id
    std::optional<boost::json::value> data;
    std::vector<std::string> attachments; ///< binary packets only: the binary messages that follow
    std::size_t expected_attachments = 0; ///< decoded: how many binary messages to wait for
};

/// Decodes the text part of a packet. Nullopt when it is malformed: an unknown type, a
/// namespace or ack id out of place, JSON that does not parse or does not fit the type
/// (an event is a non-empty array starting with its name), or a number beyond a double's range.
/// A v4 CONNECT_ERROR carries a string.
std::optional<packet> decode(std::string_view text);
/// The text part; a packet with attachments is encoded as binary (5 or 6) with their count.
std::string encode(packet const& p);

/// True when every placeholder in `data` names an attachment below `count` (and there are
/// exactly `count` distinct ones).
bool placeholders_fit(boost::json::value const& data, std::size_t count);

/// A JSON object for `{"_placeholder":true,"num":n}`.
boost::json::value placeholder(std::size_t n);

} // namespace lp::sio
