// RFC 6455 framing, without I/O: a decoder fed with the bytes a client sent (a state machine
// that keeps only what a partly received frame or message needs), and an encoder for the
// frames the server sends. Depends on the standard library only, so that it can be unit
// tested and fuzzed on plain byte buffers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace lp::ws {

enum class opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

/// Close codes (RFC 6455 §7.4.1, and Odoo's 4001/4002).
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;       ///< server shutdown
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003; ///< Odoo: a message without event_name, bad JSON
inline constexpr std::uint16_t no_status = 1005;        ///< a close frame without a code (never sent)
inline constexpr std::uint16_t abnormal = 1006;         ///< the connection ended without a close frame (never sent)
inline constexpr std::uint16_t invalid_payload = 1007;  ///< text that is not UTF-8
inline constexpr std::uint16_t policy_violation = 1008; ///< the client does not read what it is sent
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
inline constexpr std::uint16_t try_again_later = 1013;
inline constexpr std::uint16_t session_expired = 4001;
inline constexpr std::uint16_t keep_alive_timeout = 4002;
} // namespace close_code

/// Whether a peer may send `code` in a close frame (1000-1003, 1007-1014, 3000-4999).
bool is_valid_close_code(std::uint16_t code);

/// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above
/// U+10FFFF).
bool is_valid_utf8(std::string_view text);

/// What the decoder found. `payload` points into the input given to decode() or into the
/// decoder, and is valid until the next call of decode().
struct frame_event {
    enum class kind : std::uint8_t {
        none,    ///< more input is needed
        message, ///< a complete (reassembled) text or binary message
        ping,
        pong,
        close,   ///< the peer's close frame: `code` (1005 without one) and `payload` (the reason)
        error,   ///< the peer broke the protocol: close with `code`; `description` says why
    };
    kind what = kind::none;
    bool binary = false;
    std::uint16_t code = 0;
    std::string_view payload;
    char const* description = "";
};

/// Decodes the frames a client sends (masked, no extensions) and reassembles fragmented
/// messages. While no frame is partly received it holds no heap memory.
class frame_decoder {
public:
    explicit frame_decoder(std::size_t max_message) : max_message_(max_message) {}

    /// Decodes from `input` until one event is complete or the input is used up, unmasking
    /// payload bytes in place. Returns how many bytes were consumed; `event.what` is none when
    /// all were consumed and the event is not complete yet. After an error, the decoder stays
    /// failed: it consumes everything and returns the same error.
    std::size_t decode(std::span<char> input, frame_event& event);

    /// True between frames outside a fragmented message: the decoder holds no partial data.
    bool between_messages() const { return !in_frame_ && header_size_ == 0 && message_op_ == 0; }

private:
    std::size_t fail(std::uint16_t code, char const* description, std::size_t consumed, frame_event& event);
    /// Checks the frame header once complete; false (and `event` set) when it breaks a rule.
    bool accept_header(frame_event& event);
    void finish_frame(std::string_view payload, frame_event& event);

    std::size_t max_message_;
    // The header being received (2 to 14 bytes).
    std::array<unsigned char, 14> header_{};
    std::uint8_t header_size_ = 0;
    // The frame whose payload is being received.
    bool in_frame_ = false;
    bool fin_ = false;
    std::uint8_t op_ = 0;
    std::array<unsigned char, 4> mask_{};
    std::uint64_t payload_size_ = 0;
    std::uint64_t payload_received_ = 0;
    // The data message being received: its opcode (0: none) and its payload so far when it
    // spans several reads or frames.
    std::uint8_t message_op_ = 0;
    std::uint64_t message_size_ = 0;
    std::string message_;
    std::string control_; ///< a control frame's payload, when it spans reads
    std::uint16_t failed_code_ = 0;
    char const* failed_description_ = "";
};

/// Appends one frame with FIN set: unmasked (the server's frames) or masked with `mask`
/// (a client's, for tests and tools).
void append_frame(std::string& out, opcode op, std::string_view payload);
void append_frame(std::string& out, opcode op, std::string_view payload, bool fin, std::array<unsigned char, 4> const* mask);

/// The header of an unmasked frame with FIN set carrying `payload_size` bytes; returns its size.
std::size_t write_frame_header(std::array<char, 10>& header, opcode op, std::uint64_t payload_size);

/// A close frame's payload: the code in network order, then the reason (truncated to fit
/// a control frame's 125 bytes, at a character boundary).
std::string close_payload(std::uint16_t code, std::string_view reason);

} // namespace lp::ws
