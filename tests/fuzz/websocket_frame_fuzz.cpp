// The bytes a WebSocket client sends, read by the frame decoder. The first byte sets the
// largest message (0 to 2040 bytes, so that "too big" is reached), the second where the rest is
// cut in two. The rest is decoded whole, in those two reads, and one byte at a time: the events
// must be the same (decoding does not depend on how bytes arrive), and each must keep the
// decoder's promises (text is UTF-8, no message above the maximum, control payloads fit 125
// bytes, close codes a peer may send). Every message is encoded again as a client would send
// it and must decode to itself.
#include "fuzz_input.hpp"
#include "server/websocket_frame.hpp"

#include <cstdlib>
#include <string>
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
    std::string description;
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

/// Decodes `bytes` given in reads that end at `cuts` (ascending, the last being the size),
/// until the first error.
std::vector<decoded> decode(std::string bytes, std::vector<std::size_t> const& cuts, std::size_t max_message)
{
    ws::frame_decoder decoder(max_message);
    std::vector<decoded> events;
    std::size_t at = 0;
    for (auto const cut : cuts) {
        std::span<char> input(bytes.data() + at, cut - at);
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
        at = cut;
    }
    return events;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if (size < 2)
        return 0;
    std::size_t const max_message = std::size_t{data[0]} * 8;
    std::string const bytes(lp::fuzz::text(data + 2, size - 2));
    std::size_t const split = bytes.size() * data[1] / 255;

    auto const whole = decode(bytes, {bytes.size()}, max_message);
    check(decode(bytes, {split, bytes.size()}, max_message) == whole);
    std::vector<std::size_t> each(bytes.size());
    for (std::size_t i = 0; i < each.size(); ++i)
        each[i] = i + 1;
    check(decode(bytes, each, max_message) == whole);

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
        auto const again = decode(frames, {frames.size()}, max_message);
        check(again.size() == 1 && again[0] == event);
    }
    return 0;
}
