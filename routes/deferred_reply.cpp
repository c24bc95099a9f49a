#include "routes/deferred_reply.hpp"

#include "orm_bridge/log.hpp"

namespace lp {

void deferred_reply::resolve(boost::json::value result) noexcept
{
    if (resolved_)
        return;
    resolved_ = true;
    result_ = std::move(result);
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
        auto response = json_response(shape_, *result_);
        result_.reset();
        ready(std::move(response));
    }
    catch (std::exception const& e) {
        log::error("deferred_reply", "cannot deliver a reply: ", e.what());
    }
}

} // namespace lp
