// Engine.IO's packet and payload codecs (v4, and v3's length-prefixed payloads).
#include "routes/socketio/engineio_packet.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace eio = lp::eio;
using eio::packet_type;

BOOST_AUTO_TEST_SUITE(engineio_packet)

BOOST_AUTO_TEST_CASE(text_packets_decode_by_their_type_digit)
{
    struct row {
        std::string text;
        std::optional<packet_type> type;
        std::string data;
    };
    std::vector<row> const rows{
        {"0{\"sid\":\"x\"}", packet_type::open, "{\"sid\":\"x\"}"},
        {"1", packet_type::close, ""},
        {"2", packet_type::ping, ""},
        {"2probe", packet_type::ping, "probe"},
        {"3probe", packet_type::pong, "probe"},
        {"4hello", packet_type::message, "hello"},
        {"4", packet_type::message, ""},
        {"5", packet_type::upgrade, ""},
        {"6", packet_type::noop, ""},
        {"7", std::nullopt, ""},
        {"abc", std::nullopt, ""},
        {"", std::nullopt, ""},
    };
    for (auto const& r : rows) {
        auto const p = eio::decode_text(r.text);
        BOOST_TEST(p.has_value() == r.type.has_value(), r.text);
        if (p && r.type) {
            BOOST_TEST((p->type == *r.type), r.text);
            BOOST_TEST(p->data == r.data, r.text);
            BOOST_TEST(!p->binary);
            BOOST_TEST(eio::encode_text(*p) == r.text);
        }
    }
}

BOOST_AUTO_TEST_CASE(v4_payloads_join_packets_with_the_record_separator)
{
    struct row {
        std::string body;
        std::vector<eio::packet> packets; ///< empty: malformed
    };
    std::vector<row> const rows{
        {"4hello", {{packet_type::message, "hello"}}},
        {"4test1\x1e" "4test2\x1e" "4test3",
         {{packet_type::message, "test1"}, {packet_type::message, "test2"}, {packet_type::message, "test3"}}},
        {"4hello\x1e" "bAQIDBA==", {{packet_type::message, "hello"}, {packet_type::message, "\x01\x02\x03\x04", true}}},
        {"3\x1e" "1", {{packet_type::pong, ""}, {packet_type::close, ""}}},
        {"abc", {}},
        {"4a\x1e", {}},          // an empty packet after the separator
        {"", {}},
        {"b!!!!", {}},           // not base64
        {"bAQI=", {{packet_type::message, std::string("\x01\x02", 2), true}}},
        {"bAQI", {}},            // unpadded
        {"bAQ=", {}},            // padding in the wrong place (2 characters, then one '=')
    };
    for (auto const& r : rows) {
        auto const decoded = eio::decode_payload(r.body, 4);
        BOOST_TEST(decoded.has_value() == !r.packets.empty(), r.body);
        if (decoded && !r.packets.empty()) {
            BOOST_TEST((*decoded == r.packets), r.body);
            BOOST_TEST(eio::encode_payload(*decoded, 4) == r.body);
        }
    }
}

BOOST_AUTO_TEST_CASE(v3_payloads_prefix_each_packet_with_its_utf16_length)
{
    std::vector<eio::packet> const packets{{packet_type::message, "h\xC3\xA9llo"}, // é: one unit, two bytes
                                           {packet_type::message, "\xF0\x9F\x98\x80"}, // an emoji: two units
                                           {packet_type::ping, "probe"}};
    auto const body = eio::encode_payload(packets, 3);
    BOOST_TEST(body == "6:4h\xC3\xA9llo" "3:4\xF0\x9F\x98\x80" "6:2probe");
    auto const decoded = eio::decode_payload(body, 3);
    BOOST_REQUIRE(decoded.has_value());
    BOOST_TEST((*decoded == packets));

    // No length, a zero length, a length past the end ("4" is one unit), not a number.
    for (std::string bad : {"", "4hello", "0:", "9:4hello", "x:4", "2:4"})
        BOOST_TEST(!eio::decode_payload(bad, 3).has_value(), bad);
    // Binary in v3: b4<base64>.
    auto const binary = eio::decode_payload("6:b4AQI=", 3);
    BOOST_REQUIRE(binary.has_value());
    BOOST_TEST((binary->front() == eio::packet{packet_type::message, "\x01\x02", true}));
}

BOOST_AUTO_TEST_CASE(v3_payloads_count_invalid_utf8_as_they_read_it)
{
    // A stray lead byte (\xF0 without its continuation bytes) or continuation byte: the length
    // written for a decoded packet reads back the same packet (found by fuzz_engineio_packet;
    // the writer counted "4\xF0abc" as 6 units, the reader as 3).
    for (std::string body : {"3:4\xF0" "abc", "3:4\x80" "ab" "1:2", "2:4\xC3" "a"}) {
        auto const decoded = eio::decode_payload(body, 3);
        BOOST_REQUIRE_MESSAGE(decoded.has_value(), body);
        BOOST_TEST(eio::encode_payload(*decoded, 3) == body);
        auto const again = eio::decode_payload(eio::encode_payload(*decoded, 3), 3);
        BOOST_TEST((again == decoded), body);
    }
}

BOOST_AUTO_TEST_CASE(v3_binary_payloads_carry_lengths_as_digit_bytes)
{
    // "4hi" (text, 3 bytes), then a binary message of 2 bytes (3 with its type byte).
    std::string const body("\x00\x03\xff" "4hi" "\x01\x03\xff\x04\xaa\xbb", 12);
    auto const decoded = eio::decode_binary_payload(body);
    BOOST_REQUIRE(decoded.has_value());
    BOOST_TEST((*decoded == std::vector<eio::packet>{{packet_type::message, "hi"},
                                                     {packet_type::message, "\xaa\xbb", true}}));
    std::string const long_text = std::string("\x00\x01\x02\xff", 4) + "4" + std::string(11, 'x');
    auto const long_decoded = eio::decode_binary_payload(long_text);
    BOOST_REQUIRE(long_decoded.has_value() && !long_decoded->empty()); // (front() of nothing is undefined)
    BOOST_TEST(long_decoded->front().data == std::string(11, 'x'));
    for (std::string bad : {std::string(), std::string("\x02\x01\xff" "4", 4), std::string("\x00\x05\xff" "4hi", 6),
                            std::string("\x00\x0a\xff" "4", 4), std::string("\x00\xff" "4", 3),
                            std::string("\x00\x01\xff" "9", 4)})
        BOOST_TEST(!eio::decode_binary_payload(bad).has_value());
}

BOOST_AUTO_TEST_CASE(base64_round_trips_and_refuses_what_is_not_base64)
{
    for (std::string bytes : {std::string(), std::string("\x00", 1), std::string("ab"), std::string("abc"),
                              std::string("\xff\xfe\xfd\xfc")})
        BOOST_TEST(eio::base64_decode(eio::base64_encode(bytes)).value_or("!") == bytes);
    for (std::string bad : {"A", "AB=", "A===", "AB C", "AB*=", "=AAA"})
        BOOST_TEST(!eio::base64_decode(bad).has_value(), bad);
}

BOOST_AUTO_TEST_SUITE_END()
