#include "server/websocket_frame.hpp"

#include <algorithm>

namespace lp::ws {
namespace {
constexpr std::size_t max_control_payload = 125;

bool is_control(std::uint8_t op) { return (op & 0x8) != 0; }

bool is_known(std::uint8_t op)
{
    switch (static_cast<opcode>(op)) {
    case opcode::continuation:
    case opcode::text:
    case opcode::binary:
    case opcode::close:
    case opcode::ping:
    case opcode::pong: return true;
    }
    return false;
}

/// Bytes of the header once its first two are known: 2, the extended length, the mask.
std::size_t header_size_for(unsigned char second)
{
    auto const length = second & 0x7F;
    std::size_t size = 2 + (length == 126 ? 2 : length == 127 ? 8 : 0);
    return (second & 0x80) ? size + 4 : size;
}

/// Frees a buffer's heap block: an idle connection keeps none.
void release(std::string& buffer)
{
    if (buffer.capacity() > std::string().capacity())
        std::string().swap(buffer);
    else
        buffer.clear();
}
} // namespace

bool is_valid_close_code(std::uint16_t code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

bool is_valid_utf8(std::string_view text)
{
    auto const* p = reinterpret_cast<unsigned char const*>(text.data());
    auto const* const end = p + text.size();
    while (p < end) {
        // ASCII runs are the common case.
        if (*p < 0x80) {
            ++p;
            continue;
        }
        unsigned char const lead = *p;
        std::size_t length;
        unsigned char low = 0x80, high = 0xBF; // the allowed range of the second byte
        if (lead >= 0xC2 && lead <= 0xDF)
            length = 2;
        else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0)
                low = 0xA0; // overlong
            else if (lead == 0xED)
                high = 0x9F; // surrogates
        }
        else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0)
                low = 0x90; // overlong
            else if (lead == 0xF4)
                high = 0x8F; // above U+10FFFF
        }
        else
            return false;
        if (static_cast<std::size_t>(end - p) < length || p[1] < low || p[1] > high)
            return false;
        for (std::size_t i = 2; i < length; ++i)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += length;
    }
    return true;
}

std::size_t frame_decoder::fail(std::uint16_t code, char const* description, std::size_t consumed, frame_event& event)
{
    failed_code_ = code;
    failed_description_ = description;
    event.what = frame_event::kind::error;
    event.code = code;
    event.description = description;
    release(message_);
    release(control_);
    return consumed;
}

bool frame_decoder::accept_header(frame_event& event)
{
    unsigned char const first = header_[0], second = header_[1];
    std::uint8_t const op = first & 0x0F;
    std::uint16_t error = close_code::protocol_error;
    char const* why = nullptr;
    if (first & 0x70)
        why = "reserved bits set (no extension was negotiated)";
    else if (!is_known(op))
        why = "unknown opcode";
    else if (!(second & 0x80))
        why = "client frame not masked";
    else if (is_control(op) && !(first & 0x80))
        why = "fragmented control frame";
    else if (is_control(op) && (second & 0x7F) > max_control_payload)
        why = "control frame longer than 125 bytes";
    else if (op == 0 && message_op_ == 0)
        why = "continuation frame without a message to continue";
    else if (op != 0 && !is_control(op) && message_op_ != 0)
        why = "new message inside a fragmented one";
    if (!why && header_size_ == header_size_for(second)) {
        std::uint64_t length = second & 0x7F;
        std::size_t at = 2;
        if (length >= 126) {
            std::size_t const bytes = length == 126 ? 2 : 8;
            length = 0;
            for (std::size_t i = 0; i < bytes; ++i)
                length = (length << 8) | header_[at++];
            if (length >> 63)
                why = "payload length with its most significant bit set";
        }
        if (!why && !is_control(op) && length > max_message_ - std::min<std::uint64_t>(message_size_, max_message_)) {
            error = close_code::message_too_big;
            why = "message larger than websocket_max_message";
        }
        if (!why) {
            fin_ = (first & 0x80) != 0;
            op_ = op;
            payload_size_ = length;
            payload_received_ = 0;
            std::copy_n(header_.begin() + at, 4, mask_.begin());
        }
    }
    if (!why)
        return true;
    fail(error, why, 0, event);
    return false;
}

std::size_t frame_decoder::decode(std::span<char> input, frame_event& event)
{
    event = frame_event{};
    if (failed_code_) {
        event.what = frame_event::kind::error;
        event.code = failed_code_;
        event.description = failed_description_;
        return input.size();
    }
    // What the previous event pointed to is not needed any more.
    bool const receiving_data = in_frame_ && !is_control(op_);
    if (message_op_ == 0 && !receiving_data)
        release(message_);
    if (!(in_frame_ && is_control(op_)))
        release(control_);

    std::size_t pos = 0;
    for (;;) {
        if (!in_frame_) {
            // The header, byte by byte into header_ (at most 14): its rules are checked as
            // soon as its first two bytes are there.
            while (pos < input.size()) {
                header_[header_size_++] = static_cast<unsigned char>(input[pos++]);
                if (header_size_ >= 2 && header_size_ == header_size_for(header_[1]))
                    break;
                if (header_size_ == 2 && !accept_header(event))
                    return pos;
            }
            if (header_size_ < 2 || header_size_ < header_size_for(header_[1]))
                return pos;
            if (!accept_header(event))
                return pos;
            header_size_ = 0;
            in_frame_ = true;
        }
        // The payload: unmasked in place; kept when the frame or message spans reads.
        auto const begin = pos;
        bool const started_here = payload_received_ == 0;
        auto const n = static_cast<std::size_t>(
            std::min<std::uint64_t>(payload_size_ - payload_received_, input.size() - pos));
        for (std::size_t i = 0; i < n; ++i)
            input[pos + i] = static_cast<char>(input[pos + i] ^ mask_[(payload_received_ + i) & 3]);
        pos += n;
        payload_received_ += n;
        bool const complete = payload_received_ == payload_size_;
        bool const control = is_control(op_);
        // A whole unfragmented frame in this input is handed out where it lies (no copy).
        bool const in_place = complete && started_here && (control || (op_ != 0 && fin_));
        auto& kept = control ? control_ : message_;
        if (!in_place)
            kept.append(input.data() + begin, n);
        if (!complete)
            return pos;
        in_frame_ = false;
        finish_frame(in_place ? std::string_view(input.data() + begin, n) : std::string_view(kept), event);
        if (event.what != frame_event::kind::none)
            return pos;
        // A fragment of a message that goes on: read the next frame.
    }
}

void frame_decoder::finish_frame(std::string_view payload, frame_event& event)
{
    switch (static_cast<opcode>(op_)) {
    case opcode::ping:
        event.what = frame_event::kind::ping;
        event.payload = payload;
        return;
    case opcode::pong:
        event.what = frame_event::kind::pong;
        event.payload = payload;
        return;
    case opcode::close: {
        if (payload.empty()) {
            event.what = frame_event::kind::close;
            event.code = close_code::no_status;
            return;
        }
        if (payload.size() == 1) {
            fail(close_code::protocol_error, "close frame with a one-byte payload", 0, event);
            return;
        }
        auto const code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8)
                                                     | static_cast<unsigned char>(payload[1]));
        if (!is_valid_close_code(code)) {
            fail(close_code::protocol_error, "invalid close code", 0, event);
            return;
        }
        if (!is_valid_utf8(payload.substr(2))) {
            fail(close_code::invalid_payload, "close reason is not UTF-8", 0, event);
            return;
        }
        event.what = frame_event::kind::close;
        event.code = code;
        event.payload = payload.substr(2);
        return;
    }
    default: break;
    }
    // A data frame.
    if (op_ != 0)
        message_op_ = op_;
    message_size_ += payload_size_;
    if (!fin_)
        return;
    bool const text = message_op_ == static_cast<std::uint8_t>(opcode::text);
    message_op_ = 0;
    message_size_ = 0;
    if (text && !is_valid_utf8(payload)) {
        fail(close_code::invalid_payload, "text message is not UTF-8", 0, event);
        return;
    }
    event.what = frame_event::kind::message;
    event.binary = !text;
    event.payload = payload;
}

std::size_t write_frame_header(std::array<char, 10>& header, opcode op, std::uint64_t payload_size)
{
    header[0] = static_cast<char>(0x80 | static_cast<unsigned>(op));
    if (payload_size < 126) {
        header[1] = static_cast<char>(payload_size);
        return 2;
    }
    if (payload_size <= 0xFFFF) {
        header[1] = 126;
        header[2] = static_cast<char>(payload_size >> 8);
        header[3] = static_cast<char>(payload_size);
        return 4;
    }
    header[1] = 127;
    for (int i = 0; i < 8; ++i)
        header[2 + i] = static_cast<char>(payload_size >> (56 - 8 * i));
    return 10;
}

void append_frame(std::string& out, opcode op, std::string_view payload)
{
    append_frame(out, op, payload, true, nullptr);
}

void append_frame(std::string& out, opcode op, std::string_view payload, bool fin,
                  std::array<unsigned char, 4> const* mask)
{
    std::array<char, 10> header;
    auto const size = write_frame_header(header, op, payload.size());
    if (!fin)
        header[0] = static_cast<char>(header[0] & 0x7F);
    if (mask)
        header[1] = static_cast<char>(header[1] | 0x80);
    out.append(header.data(), size);
    if (!mask) {
        out.append(payload);
        return;
    }
    out.append(reinterpret_cast<char const*>(mask->data()), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        out.push_back(static_cast<char>(payload[i] ^ (*mask)[i & 3]));
}

std::string close_payload(std::uint16_t code, std::string_view reason)
{
    std::size_t cut = std::min(reason.size(), max_control_payload - 2);
    // Not inside a UTF-8 sequence.
    while (cut < reason.size() && cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80)
        --cut;
    std::string payload;
    payload.push_back(static_cast<char>(code >> 8));
    payload.push_back(static_cast<char>(code & 0xFF));
    payload.append(reason.substr(0, cut));
    return payload;
}

} // namespace lp::ws
