#include "routes/socketio/socketio_packet.hpp"

#include "routes/json_limits.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace lp::sio {
namespace json = boost::json;

namespace {
bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Reads the digits at the front of `text` into `number`; false when there are none or too many.
bool take_number(std::string_view& text, std::uint64_t& number)
{
    std::size_t size = 0;
    while (size < text.size() && is_digit(text[size]))
        ++size;
    if (size == 0)
        return false;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + size, number);
    if (ec != std::errc{})
        return false;
    text.remove_prefix(size);
    return true;
}

bool fits_type(packet const& p)
{
    auto const* data = p.data ? &*p.data : nullptr;
    switch (p.type) {
    case packet_type::connect: return !data || data->is_object();
    case packet_type::disconnect: return !data;
    case packet_type::connect_error: return data && (data->is_object() || data->is_string());
    case packet_type::event:
    case packet_type::binary_event:
        return data && data->is_array() && !data->get_array().empty()
               && (data->get_array().front().is_string() || data->get_array().front().is_number());
    case packet_type::ack:
    case packet_type::binary_ack: return data && data->is_array();
    }
    return false;
}

/// False when a number in `v` is beyond a double's range: Boost.JSON reads 1e400 as infinity
/// and would write it back as Infinity, which no JSON reader (a client's JSON.parse) takes.
bool finite_numbers(json::value const& v)
{
    if (auto const* array = v.if_array())
        return std::all_of(array->begin(), array->end(), [](json::value const& item) { return finite_numbers(item); });
    if (auto const* object = v.if_object())
        return std::all_of(object->begin(), object->end(), [](auto const& item) { return finite_numbers(item.value()); });
    return !v.is_double() || std::isfinite(v.get_double());
}

void collect_placeholders(json::value const& v, std::set<std::uint64_t>& found, bool& bad)
{
    if (auto const* array = v.if_array()) {
        for (auto const& item : *array)
            collect_placeholders(item, found, bad);
    }
    else if (auto const* object = v.if_object()) {
        if (auto const* flag = object->if_contains("_placeholder"); flag && flag->is_bool() && flag->get_bool()) {
            auto const* num = object->if_contains("num");
            if (num && num->is_int64() && num->get_int64() >= 0)
                found.insert(static_cast<std::uint64_t>(num->get_int64()));
            else
                bad = true;
            return;
        }
        for (auto const& [key, item] : *object)
            collect_placeholders(item, found, bad);
    }
}
} // namespace

std::optional<packet> decode(std::string_view text)
{
    if (text.empty() || text.front() < '0' || text.front() > '6')
        return std::nullopt;
    packet p;
    p.type = static_cast<packet_type>(text.front());
    text.remove_prefix(1);
    if (p.type == packet_type::binary_event || p.type == packet_type::binary_ack) {
        std::uint64_t count = 0;
        if (!take_number(text, count) || text.empty() || text.front() != '-' || count > 1000)
            return std::nullopt;
        text.remove_prefix(1);
        p.expected_attachments = count;
    }
    if (!text.empty() && text.front() == '/') {
        auto const comma = text.find(',');
        p.nsp = std::string(text.substr(0, comma));
        text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    }
    if (!text.empty() && is_digit(text.front())) {
        std::uint64_t id = 0;
        if (!take_number(text, id))
            return std::nullopt;
        p.id = id;
    }
    if (!text.empty()) {
        // Under the routes' limits (depth, memory in proportion to the text): a client's
        // packet costs no more than a request's body.
        try {
            p.data = parse_request_json(text);
        }
        catch (std::exception const&) {
            return std::nullopt;
        }
        if (!finite_numbers(*p.data))
            return std::nullopt;
    }
    if (!fits_type(p))
        return std::nullopt;
    if (p.expected_attachments && !placeholders_fit(*p.data, p.expected_attachments))
        return std::nullopt;
    return p;
}

std::string encode(packet const& p)
{
    std::string out;
    auto type = p.type;
    if (!p.attachments.empty())
        type = type == packet_type::ack ? packet_type::binary_ack
               : type == packet_type::event ? packet_type::binary_event
                                            : type;
    out.push_back(static_cast<char>(type));
    if (type == packet_type::binary_event || type == packet_type::binary_ack)
        out.append(std::to_string(p.attachments.size())).push_back('-');
    if (p.nsp != "/")
        out.append(p.nsp).push_back(',');
    if (p.id)
        out.append(std::to_string(*p.id));
    if (p.data)
        out.append(json::serialize(*p.data));
    return out;
}

bool placeholders_fit(json::value const& data, std::size_t count)
{
    std::set<std::uint64_t> found;
    bool bad = false;
    collect_placeholders(data, found, bad);
    return !bad && found.size() == count && (found.empty() || *found.rbegin() == count - 1);
}

json::value placeholder(std::size_t n)
{
    return json::object{{"_placeholder", true}, {"num", n}};
}

} // namespace lp::sio
