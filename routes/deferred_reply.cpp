#include "routes/deferred_reply.hpp"

#include "orm_bridge/log.hpp"

#include <boost/json/serialize.hpp>

namespace lp {

deferred_reply::~deferred_reply()
{
    if (resolved_ || !ready_)
        return;
    log::error("deferred_reply", "a parked reply was dropped unanswered; answering 500");
    try {
        auto ready = std::exchange(ready_, nullptr);
        auto const error = error_response(shape_, {500, "werkzeug.exceptions.InternalServerError",
                                                   "the request's reply was dropped before it was written",
                                                   std::nullopt, true});
        ready_reply answer;
        answer.response = &error;
        ready(answer);
    }
    catch (std::exception const& e) {
        log::error("deferred_reply", "cannot answer a dropped reply: ", e.what());
    }
}

void deferred_reply::abandon() noexcept
{
    if (resolved_)
        return;
    resolved_ = true;
    ready_ = nullptr;
    if (auto forget = std::exchange(forget_, nullptr))
        try {
            forget();
        }
        catch (std::exception const& e) {
            log::error("deferred_reply", "cannot forget an abandoned request: ", e.what());
        }
}

void deferred_reply::resolve(boost::json::value const& result) noexcept
{
    try {
        resolve_serialized(boost::json::serialize(result));
    }
    catch (std::exception const& e) {
        log::error("deferred_reply", "cannot serialize a reply: ", e.what());
    }
}

void deferred_reply::resolve_serialized(std::string_view result_json) noexcept
{
    if (resolved_)
        return;
    resolved_ = true;
    forget_ = nullptr;
    if (ready_)
        deliver(result_json);
    else
        try {
            result_ = std::make_unique<std::variant<std::string, outgoing_response>>(std::string(result_json));
        }
        catch (std::exception const& e) {
            log::error("deferred_reply", "cannot keep a reply: ", e.what());
        }
}

void deferred_reply::shape(reply_shape s)
{
    shape_ = std::move(s);
    body_open_ = json_body_open(shape_);
}

void deferred_reply::on_ready(std::function<void(ready_reply const&)> ready)
{
    ready_ = std::move(ready);
    if (!result_)
        return;
    auto const result = std::move(result_);
    if (auto const* json = std::get_if<std::string>(result.get()))
        deliver(*json);
    else
        hand_over(std::move(std::get<outgoing_response>(*result)));
}

void deferred_reply::resolve_response(outgoing_response response) noexcept
{
    if (resolved_)
        return;
    resolved_ = true;
    forget_ = nullptr;
    if (ready_)
        hand_over(std::move(response));
    else
        try {
            result_ = std::make_unique<std::variant<std::string, outgoing_response>>(std::move(response));
        }
        catch (std::exception const& e) {
            log::error("deferred_reply", "cannot keep a reply: ", e.what());
        }
}

void deferred_reply::hand_over(outgoing_response response) noexcept
{
    try {
        auto ready = std::exchange(ready_, nullptr);
        ready_reply whole;
        whole.response = &response;
        ready(whole);
    }
    catch (std::exception const& e) {
        log::error("deferred_reply", "cannot deliver a reply: ", e.what());
    }
}

void deferred_reply::deliver(std::string_view result_json) noexcept
{
    try {
        auto ready = std::exchange(ready_, nullptr);
        ready(ready_reply{nullptr, shape_.cors, body_open_, result_json, json_body_close(shape_)});
    }
    catch (std::exception const& e) {
        log::error("deferred_reply", "cannot build a reply: ", e.what());
    }
}
} // namespace lp
