// Server-side channels for a poll: what Odoo modules add in their `_poll` override, e.g. the
// logged-in user's partner channel. Private channels come from here, never from the client.
//
//   LONGPOLLING_BUS_CHANNELS(my_module_channels)
//   {
//       if (request.authenticated())
//           channels.push_back(boost::json::array{request.db(), "my.module", request.uid()});
//       co_return;
//   }
#pragma once

#include "routes/request.hpp"
#include "routes/route.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>

#include <string_view>
#include <vector>

namespace lp::bus {

/// Adds channels (in their stored shape: (db, model, id) arrays or strings) for this request.
using channel_hook = boost::asio::awaitable<void> (*)(lp::request&, boost::json::array& channels);

struct named_channel_hook {
    std::string_view name;
    channel_hook hook;
};

void define_channel_hook(named_channel_hook hook);
std::vector<named_channel_hook> const& channel_hooks();

struct channel_hook_registrar {
    explicit channel_hook_registrar(named_channel_hook hook) { define_channel_hook(hook); }
};

} // namespace lp::bus

/// Declares a channel hook; the body sees `lp::request& request` and `boost::json::array& channels`.
#define LONGPOLLING_BUS_CHANNELS(name)                                                                         \
    static ::boost::asio::awaitable<void> name(::lp::request& request, ::boost::json::array& channels);        \
    static ::lp::bus::channel_hook_registrar const LP_ROUTE_CONCAT(lp_channel_hook_, __LINE__){{#name, &name}}; \
    static ::boost::asio::awaitable<void> name(::lp::request& request, ::boost::json::array& channels)
