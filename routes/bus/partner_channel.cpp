// The logged-in user's own channel, (db, "res.partner", partner_id), as Odoo's mail module adds
// it in its _poll override: notifications addressed to the user reach every tab they have open.
#include "routes/bus/channel_hooks.hpp"

#include <boost/json.hpp>

namespace {

LONGPOLLING_BUS_CHANNELS(partner_channel)
{
    if (!request.authenticated())
        co_return;
    // From the database's user cache, which the session check has just filled: no query.
    auto const user = co_await request.database().users().find(request.uid());
    if (user && user->partner_id)
        channels.push_back(boost::json::array{boost::json::string(request.db()), "res.partner", *user->partner_id});
}

} // namespace
