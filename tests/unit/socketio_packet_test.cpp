// Socket.IO's packet codec: every form of the conformance suite, and what must be refused.
#include "routes/json_limits.hpp"
#include "routes/socketio/socketio_packet.hpp"

#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace sio = lp::sio;
using sio::packet_type;

BOOST_AUTO_TEST_SUITE(socketio_packet)

BOOST_AUTO_TEST_CASE(well_formed_packets_decode_and_encode_back)
{
    struct row {
        std::string text;
        packet_type type;
        std::string nsp;
        std::optional<std::uint64_t> id;
        std::string data; ///< serialized; "" when absent
        std::size_t attachments;
    };
    std::vector<row> const rows{
        {"0", packet_type::connect, "/", {}, "", 0},
        {R"(0{"token":"123"})", packet_type::connect, "/", {}, R"({"token":"123"})", 0},
        {"0/custom,", packet_type::connect, "/custom", {}, "", 0},
        {R"(0/custom,{"token":"abc"})", packet_type::connect, "/custom", {}, R"({"token":"abc"})", 0},
        {"1", packet_type::disconnect, "/", {}, "", 0},
        {"1/custom,", packet_type::disconnect, "/custom", {}, "", 0},
        {R"(2["message",1,"2",{"3":[true]}])", packet_type::event, "/", {}, R"(["message",1,"2",{"3":[true]}])", 0},
        {R"(2456["message-with-ack",1])", packet_type::event, "/", 456, R"(["message-with-ack",1])", 0},
        {R"(2/admin,7["e"])", packet_type::event, "/admin", 7, R"(["e"])", 0},
        {R"(3456[1,"2"])", packet_type::ack, "/", 456, R"([1,"2"])", 0},
        {R"(4{"message":"Invalid namespace"})", packet_type::connect_error, "/", {}, R"({"message":"Invalid namespace"})", 0},
        {R"(52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])", packet_type::binary_event, "/",
         {}, R"(["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])", 2},
        {R"(61-/admin,9[{"_placeholder":true,"num":0}])", packet_type::binary_ack, "/admin", 9,
         R"([{"_placeholder":true,"num":0}])", 1},
    };
    for (auto const& r : rows) {
        auto p = sio::decode(r.text);
        BOOST_REQUIRE_MESSAGE(p.has_value(), r.text);
        BOOST_TEST((p->type == r.type), r.text);
        BOOST_TEST(p->nsp == r.nsp, r.text);
        BOOST_TEST((p->id == r.id), r.text);
        BOOST_TEST((p->data ? boost::json::serialize(*p->data) : std::string()) == r.data, r.text);
        BOOST_TEST(p->expected_attachments == r.attachments, r.text);
        p->attachments.resize(r.attachments, "bytes");
        BOOST_TEST(sio::encode(*p) == r.text);
    }
}

BOOST_AUTO_TEST_CASE(malformed_packets_are_refused)
{
    for (std::string bad : {
             "",                           // nothing
             "abc",                        // unknown type (the suite's "4abc" less the Engine.IO digit)
             "7",                          // type out of range
             "2{}",                        // an event that is not an array
             "2[]",                        // an event without a name
             "2[{}]",                      // an event named by an object
             R"(2abc["message",1])",      // an ack id that is not a number
             "2[\"a\"",                    // JSON that does not end
             "1{}",                        // a disconnect with data
             "0[1]",                       // a connect payload that is not an object
             "3{}",                        // an ack that is not an array
             "4",                          // a connect error without data
             R"(5["e",{"_placeholder":true,"num":0}])", // binary without its count
             R"(51-["e"])",                // a count with no placeholder for it
             R"(51-["e",{"_placeholder":true,"num":1}])", // a placeholder past the count
             R"(51-["e",{"_placeholder":true,"num":"0"}])", // a placeholder number that is not one
             R"(2["e",1e400])",            // a number beyond a double (it would be written back as
             R"(3/a,5[{"x":[-1e999]}])",   // Infinity, which no JSON reader takes; fuzz_socketio_packet)
         })
        BOOST_TEST(!sio::decode(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(json_is_parsed_under_the_routes_limits)
{
    // 600 KB of zeros: within maxPayload, but about 8 times that once parsed.
    std::string zeros = R"(2["e")";
    for (int i = 0; i < 300000; ++i)
        zeros += ",0";
    zeros += "]";
    BOOST_TEST(!sio::decode(zeros).has_value());
    // Nesting up to json_max_depth, the event's own array counted, as a request body's.
    auto const nested = [](std::size_t depth) {
        return "2[\"e\"," + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "]";
    };
    BOOST_TEST(sio::decode(nested(lp::json_max_depth)).has_value());
    BOOST_TEST(!sio::decode(nested(lp::json_max_depth + 1)).has_value());
}

BOOST_AUTO_TEST_CASE(attachments_make_a_packet_binary)
{
    sio::packet p{packet_type::event, "/", std::nullopt,
                  boost::json::array{"file", sio::placeholder(0)}, {"\x01\x02"}};
    BOOST_TEST(sio::encode(p) == R"(51-["file",{"_placeholder":true,"num":0}])");
    p.type = packet_type::ack;
    p.id = 3;
    BOOST_TEST(sio::encode(p) == R"(61-3["file",{"_placeholder":true,"num":0}])");
}

BOOST_AUTO_TEST_SUITE_END()
