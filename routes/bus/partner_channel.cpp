// The logged-in user's own channel, (db, "res.partner", partner_id), as Odoo's mail module adds
// it in its _poll override: notifications addressed to the user reach every tab they have open.
#include "routes/bus/channel_hooks.hpp"

#include <boost/json.hpp>

namespace {

LONGPOLLING_BUS_CHANNELS(partner_channel)
{
    if (!request.authenticated())
        co_return;
    // The user's own row, read by the server for the server (never shown to the caller): as
    // the superuser, so a database whose rights hide res.users still gets its partner channel.
    auto users = request.model("res.users").sudo();
    boost::json::array const fields{"partner_id"};
    auto rows = co_await users.read(request.uid(), fields);
    auto const& partner = rows.at(0).at("partner_id");
    if (partner.is_array())
        channels.push_back(boost::json::array{boost::json::string(request.db()), "res.partner", partner.at(0)});
}

} // namespace
