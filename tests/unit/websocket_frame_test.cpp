// The sans-I/O WebSocket codec: every framing rule, with the close code it leads to.
#include "server/websocket_frame.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace ws = lp::ws;
using kind = ws::frame_event::kind;

namespace {
constexpr std::array<unsigned char, 4> mask{0x37, 0xfa, 0x21, 0x3d};

/// A client frame (masked unless `masked` is false).
std::string frame(ws::opcode op, std::string_view payload, bool fin = true, bool masked = true)
{
    std::string out;
    ws::append_frame(out, op, payload, fin, masked ? &mask : nullptr);
    return out;
}

/// Every event the decoder finds in `bytes`, fed `chunk` bytes at a time; payloads copied.
struct decoded {
    kind what;
    bool binary;
    std::uint16_t code;
    std::string payload;
};
std::vector<decoded> decode_all(std::string bytes, std::size_t chunk = std::string::npos,
                                std::size_t max_message = 1 << 20)
{
    ws::frame_decoder decoder(max_message);
    std::vector<decoded> events;
    std::size_t at = 0;
    while (at < bytes.size()) {
        auto const size = std::min(chunk, bytes.size() - at);
        std::span<char> input(bytes.data() + at, size);
        while (!input.empty()) {
            ws::frame_event event;
            auto const used = decoder.decode(input, event);
            input = input.subspan(used);
            if (event.what == kind::none)
                break;
            events.push_back({event.what, event.binary, event.code, std::string(event.payload)});
            if (event.what == kind::error)
                return events;
        }
        at += size;
    }
    return events;
}

std::uint16_t error_code_of(std::string bytes, std::size_t max_message = 1 << 20)
{
    auto const events = decode_all(std::move(bytes), std::string::npos, max_message);
    return !events.empty() && events.back().what == kind::error ? events.back().code : 0;
}
} // namespace

BOOST_AUTO_TEST_SUITE(websocket_frame)

BOOST_AUTO_TEST_CASE(decodes_a_masked_text_message_whole_or_byte_by_byte)
{
    for (std::size_t chunk : {std::string::npos, std::size_t{1}, std::size_t{3}}) {
        auto events = decode_all(frame(ws::opcode::text, "Hello") + frame(ws::opcode::binary, std::string("\0\1", 2)), chunk);
        BOOST_REQUIRE(events.size() == 2u);
        BOOST_TEST((events[0].what == kind::message));
        BOOST_TEST(!events[0].binary);
        BOOST_TEST(events[0].payload == "Hello");
        BOOST_TEST(events[1].binary);
        BOOST_TEST(events[1].payload == std::string("\0\1", 2));
    }
}

BOOST_AUTO_TEST_CASE(rfc_example_frame)
{
    // RFC 6455 §5.7: a masked "Hello".
    std::string const bytes("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
    auto events = decode_all(bytes);
    BOOST_REQUIRE(events.size() == 1u);
    BOOST_TEST(events[0].payload == "Hello");
}

BOOST_AUTO_TEST_CASE(lengths_of_16_and_64_bits)
{
    for (std::size_t size : {125u, 126u, 65535u, 65536u, 200000u}) {
        std::string const payload(size, 'x');
        for (std::size_t chunk : {std::string::npos, std::size_t{4096}}) {
            auto events = decode_all(frame(ws::opcode::text, payload), chunk);
            BOOST_REQUIRE(events.size() == 1u);
            BOOST_TEST(events[0].payload.size() == size);
            BOOST_TEST((events[0].payload == payload));
        }
    }
}

BOOST_AUTO_TEST_CASE(reassembles_fragments_with_control_frames_between)
{
    auto const bytes = frame(ws::opcode::text, "Hel", false) + frame(ws::opcode::ping, "p")
                       + frame(ws::opcode::continuation, "lo ", false) + frame(ws::opcode::continuation, "world");
    for (std::size_t chunk : {std::string::npos, std::size_t{1}, std::size_t{5}}) {
        auto events = decode_all(bytes, chunk);
        BOOST_REQUIRE(events.size() == 2u);
        BOOST_TEST((events[0].what == kind::ping));
        BOOST_TEST(events[0].payload == "p");
        BOOST_TEST((events[1].what == kind::message));
        BOOST_TEST(events[1].payload == "Hello world");
    }
}

BOOST_AUTO_TEST_CASE(utf8_split_across_fragments_is_valid)
{
    std::string const e_acute = "\xC3\xA9";
    auto events = decode_all(frame(ws::opcode::text, e_acute.substr(0, 1), false)
                             + frame(ws::opcode::continuation, e_acute.substr(1)));
    BOOST_REQUIRE(events.size() == 1u);
    BOOST_TEST(events[0].payload == e_acute);
}

BOOST_AUTO_TEST_CASE(ping_pong_and_empty_frames)
{
    auto events = decode_all(frame(ws::opcode::ping, "") + frame(ws::opcode::pong, "abc") + frame(ws::opcode::text, ""));
    BOOST_REQUIRE(events.size() == 3u);
    BOOST_TEST((events[0].what == kind::ping));
    BOOST_TEST((events[1].what == kind::pong));
    BOOST_TEST(events[1].payload == "abc");
    BOOST_TEST((events[2].what == kind::message));
    BOOST_TEST(events[2].payload.empty());
}

BOOST_AUTO_TEST_CASE(close_frames)
{
    auto events = decode_all(frame(ws::opcode::close, ws::close_payload(1000, "bye")));
    BOOST_REQUIRE(events.size() == 1u);
    BOOST_TEST((events[0].what == kind::close));
    BOOST_TEST(events[0].code == 1000);
    BOOST_TEST(events[0].payload == "bye");

    events = decode_all(frame(ws::opcode::close, ""));
    BOOST_REQUIRE(events.size() == 1u);
    BOOST_TEST(events[0].code == ws::close_code::no_status);

    BOOST_TEST(error_code_of(frame(ws::opcode::close, "x")) == 1002);                      // one byte
    BOOST_TEST(error_code_of(frame(ws::opcode::close, ws::close_payload(1005, ""))) == 1002); // reserved
    BOOST_TEST(error_code_of(frame(ws::opcode::close, ws::close_payload(999, ""))) == 1002);
    BOOST_TEST(error_code_of(frame(ws::opcode::close, ws::close_payload(5000, ""))) == 1002);
    BOOST_TEST(error_code_of(frame(ws::opcode::close, ws::close_payload(4002, "\xFF"))) == 1007);
}

BOOST_AUTO_TEST_CASE(protocol_errors_close_with_1002)
{
    BOOST_TEST(error_code_of(frame(ws::opcode::text, "x", true, false)) == 1002); // not masked
    auto rsv = frame(ws::opcode::text, "x");
    rsv[0] = static_cast<char>(rsv[0] | 0x40); // RSV1, as permessage-deflate would set it
    BOOST_TEST(error_code_of(rsv) == 1002);
    auto unknown = frame(ws::opcode::text, "x");
    unknown[0] = static_cast<char>(0x83);
    BOOST_TEST(error_code_of(unknown) == 1002);
    BOOST_TEST(error_code_of(frame(ws::opcode::ping, "x", false)) == 1002);                  // fragmented control
    BOOST_TEST(error_code_of(frame(ws::opcode::ping, std::string(126, 'x'))) == 1002);       // control > 125
    BOOST_TEST(error_code_of(frame(ws::opcode::continuation, "x")) == 1002);                  // nothing to continue
    BOOST_TEST(error_code_of(frame(ws::opcode::text, "a", false) + frame(ws::opcode::text, "b")) == 1002);
    std::string huge("\x81\xFF\x80\0\0\0\0\0\0\0\0\0\0\0", 14);                             // 64-bit length, MSB set
    BOOST_TEST(error_code_of(huge) == 1002);
}

BOOST_AUTO_TEST_CASE(an_error_is_found_from_the_first_two_bytes)
{
    // An unmasked 64-bit length header: refused before its length is even read.
    ws::frame_decoder decoder(1 << 20);
    std::string bytes("\x81\x7F", 2);
    ws::frame_event event;
    decoder.decode(bytes, event);
    BOOST_TEST((event.what == kind::error));
    // And it stays failed.
    std::string more = frame(ws::opcode::text, "x");
    decoder.decode(more, event);
    BOOST_TEST((event.what == kind::error));
    BOOST_TEST(event.code == 1002);
}

BOOST_AUTO_TEST_CASE(oversized_messages_close_with_1009)
{
    BOOST_TEST(error_code_of(frame(ws::opcode::text, std::string(1001, 'x')), 1000) == 1009);
    BOOST_TEST(error_code_of(frame(ws::opcode::text, std::string(1000, 'x')), 1000) == 0);
    // Over the limit only once reassembled.
    BOOST_TEST(error_code_of(frame(ws::opcode::text, std::string(600, 'x'), false)
                                 + frame(ws::opcode::continuation, std::string(401, 'x')),
                             1000)
               == 1009);
    // Found from the header alone: the payload never arrives.
    std::string header("\x81\xFF\0\0\0\0\x10\0\0\0\1\2\3\4", 14); // 256 MiB announced
    BOOST_TEST(error_code_of(header) == 1009);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_text_closes_with_1007)
{
    BOOST_TEST(error_code_of(frame(ws::opcode::text, "\xFF")) == 1007);
    BOOST_TEST(error_code_of(frame(ws::opcode::text, "\xC3", false) + frame(ws::opcode::continuation, "")) == 1007);
    BOOST_TEST(error_code_of(frame(ws::opcode::binary, "\xFF")) == 0); // binary is not text
}

BOOST_AUTO_TEST_CASE(utf8_validation)
{
    BOOST_TEST(ws::is_valid_utf8("plain ascii"));
    BOOST_TEST(ws::is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80")); // é € 😀
    BOOST_TEST(ws::is_valid_utf8("\xF4\x8F\xBF\xBF"));                     // U+10FFFF
    BOOST_TEST(!ws::is_valid_utf8("\xC0\xAF"));                            // overlong /
    BOOST_TEST(!ws::is_valid_utf8("\xE0\x80\xAF"));                        // overlong
    BOOST_TEST(!ws::is_valid_utf8("\xED\xA0\x80"));                        // surrogate
    BOOST_TEST(!ws::is_valid_utf8("\xF4\x90\x80\x80"));                    // above U+10FFFF
    BOOST_TEST(!ws::is_valid_utf8("\xE2\x82"));                            // truncated
    BOOST_TEST(!ws::is_valid_utf8("\x80"));                                // lone continuation
}

BOOST_AUTO_TEST_CASE(holds_no_memory_between_messages)
{
    ws::frame_decoder decoder(1 << 20);
    auto bytes = frame(ws::opcode::text, std::string(1000, 'x'));
    ws::frame_event event;
    decoder.decode(std::span<char>(bytes.data(), 500), event);
    BOOST_TEST(!decoder.between_messages());
    auto used = decoder.decode(std::span<char>(bytes.data() + 500, bytes.size() - 500), event);
    BOOST_TEST(used == bytes.size() - 500);
    BOOST_TEST((event.what == kind::message));
    BOOST_TEST(event.payload.size() == 1000u);
    BOOST_TEST(decoder.between_messages());
}

BOOST_AUTO_TEST_CASE(server_frames_are_unmasked_with_minimal_lengths)
{
    std::string out;
    ws::append_frame(out, ws::opcode::text, "Hi");
    BOOST_TEST(out == std::string("\x81\x02Hi", 4));
    out.clear();
    ws::append_frame(out, ws::opcode::text, std::string(300, 'a'));
    BOOST_TEST(out.substr(0, 4) == std::string("\x81\x7E\x01\x2C", 4));
    out.clear();
    ws::append_frame(out, ws::opcode::binary, std::string(70000, 'a'));
    BOOST_TEST(out.substr(0, 10) == std::string("\x82\x7F\0\0\0\0\0\x01\x11\x70", 10));
}

BOOST_AUTO_TEST_CASE(close_payload_fits_a_control_frame)
{
    auto const payload = ws::close_payload(1001, std::string(200, 'r'));
    BOOST_TEST(payload.size() == 125u);
    BOOST_TEST(payload.substr(0, 2) == std::string("\x03\xE9", 2));
    // Not cut inside a character.
    std::string accents;
    for (int i = 0; i < 100; ++i)
        accents += "\xC3\xA9";
    BOOST_TEST(ws::is_valid_utf8(ws::close_payload(1000, accents).substr(2)));
}

BOOST_AUTO_TEST_SUITE_END()

