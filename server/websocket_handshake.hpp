// The WebSocket opening handshake (RFC 6455 §4.2), without I/O: whether an HTTP request may
// be upgraded, and the bytes of the answer.
#pragma once

#include <boost/beast/http/message.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace lp::ws {

/// The parts of an HTTP request the handshake looks at; a header absent is nullopt.
struct handshake_request {
    std::string method;
    unsigned http_version = 11; ///< 11 for HTTP/1.1
    std::optional<std::string> host;
    std::optional<std::string> upgrade;
    std::optional<std::string> connection;
    std::optional<std::string> key;     ///< Sec-WebSocket-Key
    std::optional<std::string> version; ///< Sec-WebSocket-Version
};

/// 101 with the Sec-WebSocket-Accept value, or the refusal: 400 (a header missing or wrong,
/// a key that is not 16 bytes in base64, not a GET) or 426 (a version other than 13, to be
/// answered with `Sec-WebSocket-Version: 13`). Checked in Odoo's order: missing headers,
/// then the version, then the values.
struct handshake_verdict {
    unsigned status = 101;
    std::string reason; ///< why it was refused
    std::string accept; ///< Sec-WebSocket-Accept when 101
};

/// The handshake's parts of a request header, as read by Beast.
handshake_request handshake_request_of(boost::beast::http::request_header<> const& header);

handshake_verdict check_handshake(handshake_request const& request);

/// base64(SHA-1(key + the RFC's GUID)).
std::string accept_value(std::string_view key);

/// The 101 answer: no subprotocol and no extension (permessage-deflate is declined by not
/// naming it).
std::string switching_protocols(std::string_view accept);

} // namespace lp::ws
