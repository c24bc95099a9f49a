// The bytes a WebSocket client sends, read by the frame decoder. The first byte sets the
// largest message (0 to 1020 bytes, so that "too big" is reached), the second where the rest is
// cut in two. The rest is decoded whole, in those two reads, and one byte at a time: the events
// must be the same (decoding does not depend on how bytes arrive), and each must keep the
// decoder's promises (text is UTF-8, no message above the maximum, control payloads fit 125
// bytes, close codes a peer may send). Every message is encoded again as a client would send
// it and must decode to itself.
//
// Inputs are at most 1 KiB unless -max_len says otherwise (LLVMFuzzerInitialize): decoding one
// byte at a time costs a decode call per byte, and nothing in the decoder needs more (7-, 16-
// and 64-bit lengths, fragments with control frames between them and the largest message all
// fit), so the 4 KiB default made each execution four times dearer for nothing.
#include "fuzz_input.hpp"
#include "server/websocket_frame.hpp"

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ws = lp::ws;
using kind = ws::frame_event::kind;

namespace {

/// An event with its payload copied (the decoder's points into the input).
struct decoded {
    kind what;
    bool binary;
    std::uint16_t code;
    std::string payload;
    std::string_view description; ///< the decoder's (static) text
    bool operator==(decoded const&) const = default;
};

void check(bool condition)
{
    if (!condition)
        std::abort();
}

void check_event(ws::frame_event const& event, ws::frame_decoder const& decoder, std::size_t max_message)
{
    switch (event.what) {
    case kind::message:
        check(event.payload.size() <= max_message);
        check(event.binary || ws::is_valid_utf8(event.payload));
        check(decoder.between_messages());
        break;
    case kind::ping:
    case kind::pong: check(event.payload.size() <= 125); break;
    case kind::close:
        check(event.payload.size() <= 123);
        check(event.code == ws::close_code::no_status ? event.payload.empty() : ws::is_valid_close_code(event.code));
        check(ws::is_valid_utf8(event.payload));
        break;
    case kind::error:
        check(event.code == ws::close_code::protocol_error || event.code == ws::close_code::message_too_big
              || event.code == ws::close_code::invalid_payload);
        check(*event.description != '\0');
        break;
    case kind::none: break;
    }
}

/// Decodes `bytes` given in reads of `first` bytes, then of `then` bytes each, until the first
/// error.
std::vector<decoded> decode(std::string bytes, std::size_t first, std::size_t then, std::size_t max_message)
{
    ws::frame_decoder decoder(max_message);
    std::vector<decoded> events;
    for (std::size_t at = 0, read = first; at < bytes.size(); at += read, read = then) {
        std::span<char> input(bytes.data() + at, std::min(read, bytes.size() - at));
        while (!input.empty()) {
            ws::frame_event event;
            auto const used = decoder.decode(input, event);
            check(used > 0 && used <= input.size());
            check(event.what != kind::none || used == input.size());
            input = input.subspan(used);
            if (event.what == kind::none)
                break;
            check_event(event, decoder, max_message);
            events.push_back({event.what, event.binary, event.code, std::string(event.payload), event.description});
            if (event.what == kind::error)
                return events;
        }
    }
    return events;
}

} // namespace

/// Adds -max_len=1024 to libFuzzer's flags unless they set one (see the top of this file).
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv)
{
    for (int i = 1; i < *argc; ++i)
        if (std::strncmp((*argv)[i], "-max_len=", 9) == 0)
            return 0;
    static std::vector<char*> args;
    static char max_len[] = "-max_len=1024";
    args.assign(*argv, *argv + *argc);
    args.insert(args.begin() + 1, max_len);
    args.push_back(nullptr);
    *argc += 1;
    *argv = args.data();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if (size < 2)
        return 0;
    std::size_t const max_message = std::size_t{data[0]} * 4;
    std::string const bytes(lp::fuzz::text(data + 2, size - 2));
    std::size_t const split = bytes.size() * data[1] / 255;

    auto const whole = decode(bytes, bytes.size(), bytes.size(), max_message);
    check(decode(bytes, split, bytes.size(), max_message) == whole);
    check(decode(bytes, 1, 1, max_message) == whole);

    // Messages round-trip through the encoder, fragmented in two at the same proportion.
    static constexpr std::array<unsigned char, 4> mask{0x12, 0x9a, 0xfe, 0x01};
    for (auto const& event : whole) {
        if (event.what != kind::message)
            continue;
        auto const op = event.binary ? ws::opcode::binary : ws::opcode::text;
        auto const first = event.payload.size() * data[1] / 255;
        std::string frames;
        ws::append_frame(frames, op, std::string_view(event.payload).substr(0, first), false, &mask);
        ws::append_frame(frames, ws::opcode::continuation, std::string_view(event.payload).substr(first), true, &mask);
        auto const again = decode(frames, frames.size(), frames.size(), max_message);
        check(again.size() == 1 && again[0] == event);
    }
    return 0;
}
