#include "routes/bus/publisher.hpp"

#include "routes/bus/fetch_driver.hpp"
#include "routes/bus/odoo_json.hpp"

#include <set>

namespace lp::bus {
namespace json = boost::json;

boost::asio::awaitable<std::int64_t> publish(orm::database& db, std::vector<notification> notifications,
                                             std::chrono::steady_clock::time_point deadline)
{
    if (notifications.empty())
        co_return 0;
    std::vector<std::string> channels;
    std::vector<std::string> messages;
    std::vector<std::string> distinct;
    std::set<std::string> seen;
    for (auto const& [channel, message] : notifications) {
        channels.push_back(odoo_json(channel));
        messages.push_back(odoo_json(message));
        if (seen.insert(channels.back()).second)
            distinct.push_back(channels.back());
    }
    std::string payload = "[";
    for (auto const& key : distinct)
        payload += (payload.size() > 1 ? "," : "") + key;
    payload += "]";

    auto c = co_await db.writer().acquire(deadline);
    std::string const insert = "INSERT INTO bus_bus (channel, message, create_date, write_date)"
                               " SELECT c, m, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'"
                               " FROM unnest($1::varchar[], $2::varchar[]) AS t(c, m)";
    orm::pg::parameters rows{pg_text_array(channels), pg_text_array(messages)};
    auto inserted = co_await c.query(insert, std::move(rows));
    std::string const notify = "SELECT pg_notify('imbus', $1)";
    orm::pg::parameters channel_list{payload};
    co_await c.query(notify, std::move(channel_list));
    co_await c.commit();
    co_return std::stoll(std::string(inserted.command_tuples()));
}

std::string pos_channel(std::string const& db, std::string const& channel_name, std::int64_t pos_id)
{
    return "[\"" + db + "\",\"" + channel_name + "\",\"" + std::to_string(pos_id) + "\"]";
}

json::value stored_channel(int odoo_version, std::string const& db, std::string const& client_channel)
{
    if (odoo_version < 15)
        return json::string(client_channel);
    return json::array{json::string(db), json::string(client_channel)};
}

notification client_notification(int odoo_version, std::string const& db, std::string const& client_channel,
                                 json::value message)
{
    auto channel = stored_channel(odoo_version, db, client_channel);
    if (odoo_version < 15)
        return {std::move(channel), std::move(message)};
    return {std::move(channel), json::object{{"type", client_channel}, {"payload", std::move(message)}}};
}

} // namespace lp::bus
