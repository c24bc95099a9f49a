// The text part of a Socket.IO packet a client sends (`<type>[<attachments>-][<namespace>,]
// [<ack id>][<JSON>]`), decoded as the server decodes it. None throws. A decoded packet keeps
// the decoder's promises: its data fits its type (an event is a non-empty array starting with
// its name), a namespace starts with '/' and holds no ',', only binary packets wait for
// attachments (at most 1,000) and their placeholders name each attachment exactly once. Once
// its attachments have arrived (as the server collects them), it encodes to text that decodes
// to the same packet. (Numbers compare within a few units in the last place: Boost.JSON 1.81
// does not always parse a decimal to the nearest double, so a double re-serialized may read back
// one step off, e.g. 104465744073709551615.)
#include "fuzz_input.hpp"
#include "routes/socketio/socketio_packet.hpp"

#include <boost/json/value.hpp>

#include <cmath>
#include <cstdlib>
#include <string>

namespace sio = lp::sio;
using sio::packet_type;

namespace {

void check(bool condition)
{
    if (!condition)
        std::abort();
}

bool is_binary(packet_type type) { return type == packet_type::binary_event || type == packet_type::binary_ack; }

/// Equal JSON, doubles within a relative 1e-15 (about 4 units in the last place).
bool same_json(boost::json::value const& a, boost::json::value const& b)
{
    if (a.is_double() && b.is_double())
        return a == b || std::abs(a.get_double() - b.get_double()) <= 1e-15 * std::abs(a.get_double());
    if (a.is_array() && b.is_array()) {
        auto const &x = a.get_array(), &y = b.get_array();
        if (x.size() != y.size())
            return false;
        for (std::size_t i = 0; i < x.size(); ++i)
            if (!same_json(x[i], y[i]))
                return false;
        return true;
    }
    if (a.is_object() && b.is_object()) {
        auto const &x = a.get_object(), &y = b.get_object();
        if (x.size() != y.size())
            return false;
        for (auto const& [key, item] : x) {
            auto const* other = y.if_contains(key);
            if (!other || !same_json(item, *other))
                return false;
        }
        return true;
    }
    return a == b;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    auto p = sio::decode(lp::fuzz::text(data, size));
    if (!p)
        return 0;
    check(p->type >= packet_type::connect && p->type <= packet_type::binary_ack);
    check(p->nsp.starts_with('/') && p->nsp.find(',') == std::string::npos);
    check(p->expected_attachments <= 1000 && (p->expected_attachments == 0 || is_binary(p->type)));
    switch (p->type) {
    case packet_type::connect: check(!p->data || p->data->is_object()); break;
    case packet_type::disconnect: check(!p->data); break;
    case packet_type::connect_error: check(p->data && (p->data->is_object() || p->data->is_string())); break;
    case packet_type::event:
    case packet_type::binary_event:
        check(p->data && p->data->is_array() && !p->data->get_array().empty());
        check(p->data->get_array().front().is_string() || p->data->get_array().front().is_number());
        break;
    case packet_type::ack:
    case packet_type::binary_ack: check(p->data && p->data->is_array()); break;
    }
    if (p->expected_attachments > 0)
        check(sio::placeholders_fit(*p->data, p->expected_attachments));

    // The attachments arrive (the server appends each binary message), then the packet is
    // encoded again.
    for (std::size_t i = 0; i < p->expected_attachments; ++i)
        p->attachments.push_back(std::to_string(i));
    auto const text = sio::encode(*p);
    auto const again = sio::decode(text);
    check(again.has_value());
    check(again->type == p->type && again->nsp == p->nsp && again->id == p->id);
    check(again->data.has_value() == p->data.has_value() && (!p->data || same_json(*again->data, *p->data)));
    check(again->expected_attachments == p->attachments.size());
    return 0;
}
