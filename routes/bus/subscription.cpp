#include "routes/bus/subscription.hpp"

#include "orm_bridge/limits_hit.hpp"

#include "routes/bus/channel_hooks.hpp"
#include "routes/bus/odoo_json.hpp"
#include "routes/bus/publisher.hpp"

#include <charconv>
#include <optional>
#include <set>
#include <string_view>

namespace lp::bus {
namespace json = boost::json;

std::vector<std::string> client_channels(json::value const& value, lp::services const& limits)
{
    if (!value.is_array())
        throw lp::bad_request("bus.Bus: 'channels' must be a list of strings");
    // Each channel costs an index entry while the client waits: bounded per client.
    if (value.get_array().size() > limits.bus_max_channels) {
        lp::count_limit_hit(lp::limit::bus_max_channels);
        throw lp::bad_request("bus.Bus: more than " + std::to_string(limits.bus_max_channels)
                              + " channels in one poll (bus_max_channels)");
    }
    std::vector<std::string> out;
    for (auto const& channel : value.get_array()) {
        if (!channel.is_string())
            throw lp::bad_request("bus.Bus only string channels are allowed.");
        if (channel.get_string().size() > limits.bus_max_channel_bytes) {
            lp::count_limit_hit(lp::limit::bus_max_channel_bytes);
            throw lp::bad_request("bus.Bus: a channel name is longer than " + std::to_string(limits.bus_max_channel_bytes)
                                  + " bytes (bus_max_channel_bytes)");
        }
        out.emplace_back(channel.get_string());
    }
    return out;
}

namespace {
/// Odoo 17+'s "odoo-presence-res.partner_<id>": the partner's presence channel
/// ["db","res.partner",id,"presence"], where Odoo sends its im_status updates.
std::optional<json::value> presence_channel(int odoo_version, std::string const& db, std::string_view name)
{
    constexpr std::string_view prefix = "odoo-presence-res.partner_";
    if (odoo_version < 17 || !name.starts_with(prefix))
        return std::nullopt;
    auto const digits = name.substr(prefix.size());
    std::int64_t id = 0;
    auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (ec != std::errc() || end != digits.data() + digits.size() || id <= 0)
        return std::nullopt; // not a presence channel: a string channel like any other
    return json::array{json::string(db), "res.partner", id, "presence"};
}
} // namespace

boost::asio::awaitable<subscription> subscribe_to(lp::request& request, std::vector<std::string> const& wanted,
                                                  int odoo_version)
{
    auto& db = request.database();
    subscription out;
    for (auto const& name : wanted) {
        if (auto presence = presence_channel(odoo_version, db.name(), name)) {
            if (request.authenticated()) // Odoo's public user gets no presence
                out.channels.push_back(std::move(*presence));
            continue;
        }
        out.channels.push_back(stored_channel(odoo_version, db.name(), name)); // no message built per poll
    }
    if (odoo_version >= 15)
        out.channels.push_back(json::array{json::string(db.name()), "broadcast"});
    for (auto const& hook : channel_hooks())
        co_await hook.hook(request, out.channels);
    std::set<std::string> seen;
    json::array distinct;
    for (auto& channel : out.channels)
        if (auto key = odoo_json(channel); seen.insert(key).second) {
            out.keys.push_back(std::move(key));
            distinct.push_back(std::move(channel));
        }
    out.channels = std::move(distinct);
    co_return out;
}

} // namespace lp::bus
