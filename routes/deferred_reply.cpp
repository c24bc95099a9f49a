#include "routes/deferred_reply.hpp"

#include "orm_bridge/log.hpp"

#include <boost/json/serialize.hpp>

namespace lp {

void deferred_reply::resolve(boost::json::value const& result) noexcept
{
    try {
        resolve_serialized(boost::json::serialize(result));
    }
    catch (std::exception const& e) {
        log::error("deferred_reply", "cannot serialize a reply: ", e.what());
    }
}

void deferred_reply::resolve_serialized(std::string result_json) noexcept
{
    if (resolved_)
        return;
    resolved_ = true;
    result_ = std::move(result_json);
    deliver();
}

void deferred_reply::on_ready(std::function<void(outgoing_response)> ready)
{
    ready_ = std::move(ready);
    deliver();
}

void deferred_reply::deliver() noexcept
{
    if (!result_ || !ready_)
        return;
    try {
        auto ready = std::exchange(ready_, nullptr);
        auto response = serialized_json_response(shape_, *result_);
        result_.reset();
        ready(std::move(response));
    }
    catch (std::exception const& e) {
        log::error("deferred_reply", "cannot deliver a reply: ", e.what());
    }
}

} // namespace lp
