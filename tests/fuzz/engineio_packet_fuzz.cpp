// What an Engine.IO client sends, read by every decoder the server has for it: a WebSocket text
// frame (a type digit and data; a binary frame is taken whole: nothing to parse), a polling body
// (v4: packets joined by \x1e, binary ones as b<base64>; v3: <length>:<packet> in UTF-16 units,
// binary as b<type><base64>), a v3 client's XHR2 binary body, and base64. None throws. What
// decodes keeps its promises: a text packet encodes back to the same bytes, a v4 payload has one
// packet per \x1e-separated part (the same bytes again when none is binary), and a decoded
// payload encodes to one that decodes to the same packets; base64 round-trips any bytes.
#include "fuzz_input.hpp"
#include "routes/socketio/engineio_packet.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

namespace eio = lp::eio;

namespace {

void check(bool condition)
{
    if (!condition)
        std::abort();
}

bool is_type(eio::packet_type type) { return type >= eio::packet_type::open && type <= eio::packet_type::noop; }

/// A decoded payload re-encoded in the same version decodes to the same packets.
void check_payload(std::vector<eio::packet> const& packets, int version)
{
    check(!packets.empty());
    for (auto const& p : packets)
        check(is_type(p.type) && (!p.binary || p.type == eio::packet_type::message));
    auto const again = eio::decode_payload(eio::encode_payload(packets, version), version);
    check(again && *again == packets);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    auto const input = lp::fuzz::text(data, size);

    if (auto const p = eio::decode_text(input)) {
        check(is_type(p->type) && !p->binary);
        check(eio::encode_text(*p) == input);
    }

    if (auto const v4 = eio::decode_payload(input, 4)) {
        check(v4->size() == static_cast<std::size_t>(std::count(input.begin(), input.end(), '\x1e')) + 1);
        check_payload(*v4, 4);
        if (std::none_of(v4->begin(), v4->end(), [](auto const& p) { return p.binary; }))
            check(eio::encode_payload(*v4, 4) == input);
    }
    if (auto const v3 = eio::decode_payload(input, 3))
        check_payload(*v3, 3);
    if (auto const xhr2 = eio::decode_binary_payload(input)) {
        check(!xhr2->empty());
        for (auto const& p : *xhr2)
            check(is_type(p.type) && p.data.size() < input.size());
    }

    if (auto const bytes = eio::base64_decode(input)) {
        check(input.size() % 4 == 0 && bytes->size() <= input.size() / 4 * 3);
        check(eio::base64_decode(eio::base64_encode(*bytes)) == bytes);
    }
    auto const encoded = eio::base64_encode(input);
    check(encoded.size() == (input.size() + 2) / 3 * 4);
    check(eio::base64_decode(encoded) == std::string(input));
    return 0;
}
