#include "routes/bus/presence_report.hpp"

#include "orm_bridge/limits_hit.hpp"
#include "orm_bridge/log.hpp"
#include "routes/bus/fetch_driver.hpp"
#include "routes/bus/presence.hpp"
#include "routes/bus/publisher.hpp"
#include "routes/errors.hpp"
#include "routes/rate_limiter.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

namespace lp::bus {
namespace json = boost::json;

std::optional<std::int64_t> inactivity_ms(json::value const* value)
{
    if (!value || !value->is_number())
        return std::nullopt;
    double const ms = value->to_number<double>();
    if (std::isnan(ms))
        return std::nullopt;
    constexpr double a_year_ms = 365.0 * 24 * 3600 * 1000;
    return static_cast<std::int64_t>(std::clamp(ms, 0.0, a_year_ms));
}

bool presence_write_allowed(services const& limits, orm::database const& db, std::int64_t uid)
{
    auto* limit = limits.presence_per_user;
    if (!limit || !limit->take(db.name() + "/" + std::to_string(uid)))
        return true;
    count_limit_hit(limit::presence_rate);
    return false;
}

std::vector<std::int64_t> im_status_partner_ids(json::value const* ids_by_model, services const& limits)
{
    std::vector<std::int64_t> ids;
    if (!ids_by_model || ids_by_model->is_null())
        return ids;
    if (!ids_by_model->is_object())
        throw bad_request("'im_status_ids_by_model' must map a model to a list of ids");
    auto const* partners = ids_by_model->get_object().if_contains("res.partner");
    if (!partners)
        return ids;
    if (!partners->is_array())
        throw bad_request("'im_status_ids_by_model' must map a model to a list of ids");
    if (partners->get_array().size() > limits.bus_max_channels) {
        count_limit_hit(limit::bus_max_channels);
        throw bad_request("more than " + std::to_string(limits.bus_max_channels)
                          + " partners in im_status_ids_by_model (bus_max_channels)");
    }
    for (auto const& id : partners->get_array()) {
        if (!id.is_int64())
            throw bad_request("'im_status_ids_by_model' must map a model to a list of ids");
        ids.push_back(id.get_int64());
    }
    return ids;
}

boost::asio::awaitable<void> answer_im_status(orm::database& db, int odoo_version, std::int64_t uid,
                                              std::vector<std::int64_t> partner_ids)
{
    if (odoo_version != 16 || partner_ids.empty())
        co_return;
    try {
        // The answer goes to the user's partner channel; the partner is in the user cache.
        auto const user = co_await db.users().find(uid);
        if (!user || !user->partner_id)
            co_return;
        auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        json::array statuses;
        {
            auto c = co_await db.pool().acquire(deadline);
            orm::pg::parameters ids{pg_int_array(partner_ids)};
            auto rows = co_await c.query(im_status_sql(odoo_version), std::move(ids));
            for (int i = 0; i < rows.rows(); ++i)
                statuses.push_back(json::object{{"id", std::stoll(std::string(rows.value(i, 0)))},
                                                {"im_status", rows.value(i, 1)}});
        }
        json::value channel = json::array{json::string(db.name()), "res.partner", *user->partner_id};
        json::value message = json::object{{"type", "mail.record/insert"}, {"payload", json::object{{"Partner", statuses}}}};
        std::vector<notification> out;
        out.emplace_back(std::move(channel), std::move(message));
        co_await publish(db, std::move(out), deadline);
    }
    catch (std::exception const& e) {
        log::warning("bus", db.name(), ": answering im_status_ids_by_model failed: ", e.what());
    }
}

} // namespace lp::bus
