// What a bus client subscribes to, shared by /longpolling/poll, /websocket and
// /websocket/peek_notifications: the client's string channels (checked and bounded), Odoo
// 15+'s broadcast, and the server-side channels of the LONGPOLLING_BUS_CHANNELS hooks.
#pragma once

#include "routes/request.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace lp::bus {

/// The channels a client asked for: a list of strings, at most bus_max_channels of at most
/// bus_max_channel_bytes each. Errors: bad_request with Odoo's message otherwise.
std::vector<std::string> client_channels(boost::json::value const& value, lp::services const& limits);

struct subscription {
    boost::json::array channels;   ///< as stored (["db","x"], ["db","res.partner",3], ...)
    std::vector<std::string> keys; ///< their bus_bus.channel texts, each once
};

/// The stored channels of `wanted` for `request`'s database, plus broadcast (15+) and the
/// hooks' channels (which see the request's session).
boost::asio::awaitable<subscription> subscribe_to(lp::request& request, std::vector<std::string> const& wanted,
                                                  int odoo_version);

} // namespace lp::bus
