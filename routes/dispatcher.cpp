#include "routes/dispatcher.hpp"

#include "orm_bridge/log.hpp"
#include "routes/error_reply.hpp"
#include "routes/deferred_reply.hpp"
#include "routes/jsonrpc.hpp"
#include "routes/reply_shape.hpp"
#include "routes/url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace lp {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;

/// What a handler produced, whatever its mode, or the exception it raised. Errors travel as
/// values because the `||` below waits for the first *successful* branch: a thrown error
/// would otherwise be ignored until the deadline fired.
struct handler_outcome {
    std::optional<json::value> json;
    std::optional<http_reply> http;
    std::exception_ptr error;
};

asio::awaitable<handler_outcome> invoke(route_table::route const& route, request& req)
{
    handler_outcome outcome;
    try {
        if (auto const* handler = std::get_if<json_handler>(&route.handler)) {
            auto value = co_await (*handler)(req);
            outcome.json = std::move(value);
        }
        else {
            auto reply = co_await std::get<http_handler>(route.handler)(req);
            outcome.http = std::move(reply);
        }
    }
    catch (...) {
        outcome.error = std::current_exception();
    }
    co_return outcome;
}

/// Waits until the timer expires or is cancelled; never throws.
asio::awaitable<void> wait_for(asio::steady_timer& timer)
{
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
}

std::string seconds_text(std::chrono::steady_clock::duration d)
{
    auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    if (ms % 1000 == 0)
        return std::to_string(ms / 1000) + " s";
    return std::to_string(ms) + " ms";
}

outgoing_response success_response(reply_shape const& shape, handler_outcome output)
{
    if (output.http)
        return http_response(shape, std::move(*output.http));
    return json_response(shape, *output.json);
}

/// Query or form pairs into params; `session_id` is taken apart, jQuery's `_` cache-buster dropped.
void add_pairs(json::object& params, std::optional<std::string>& session_id,
               std::vector<std::pair<std::string, std::string>> pairs, bool parse_data_object)
{
    for (auto& [key, value] : pairs) {
        if (key == "session_id") {
            if (!session_id)
                session_id = std::move(value);
        }
        else if (key == "_") {
            continue;
        }
        else if (key == "data" && parse_data_object) {
            boost::system::error_code ec;
            auto data = json::parse(value, ec);
            if (ec)
                throw bad_request("parameter 'data' is not valid JSON: " + ec.message());
            if (!data.is_object())
                throw bad_request("parameter 'data' must be a JSON object of named parameters");
            for (auto& [name, item] : data.get_object())
                params[name] = std::move(item);
        }
        else {
            params[key] = std::move(value);
        }
    }
}

std::vector<std::pair<std::string, std::string>> decode_pairs(std::string_view text, char const* where)
{
    auto pairs = parse_query(text);
    if (!pairs)
        throw bad_request(std::string("malformed percent-escape in the ") + where);
    return std::move(*pairs);
}
} // namespace

struct dispatcher::route_call {
    request req;
    reply_shape shape;
};

dispatcher::dispatcher(route_table const& routes, orm::session_store& sessions,
                       std::chrono::steady_clock::duration timeout, lp::services const* shared)
    : routes_(routes), sessions_(sessions), services_(shared), timeout_(timeout)
{
}

void dispatcher::stop()
{
    stopping_ = true;
    for (auto* deadline : running_)
        deadline->cancel();
}

asio::awaitable<outgoing_response> dispatcher::dispatch(incoming_request in)
{
    reply_shape shape;
    try {
        auto const query_at = in.target.find('?');
        auto const path = std::string_view(in.target).substr(0, query_at);
        auto const query = query_at == std::string::npos ? std::string_view{}
                                                         : std::string_view(in.target).substr(query_at + 1);
        auto matched = routes_.match(path);
        if (!matched)
            throw not_found("nothing is served at '" + std::string(path) + "'");
        auto const& route = *matched->found;
        bool const is_post = in.method == "POST";
        shape.cors = route.cors;
        if (route.cors && in.method == "OPTIONS") {
            // A browser's preflight for a cross-origin poll (the POS "sync server" setup).
            outgoing_response preflight;
            preflight.status = 204;
            preflight.content_type = "text/plain";
            preflight.headers = {{"Access-Control-Allow-Origin", "*"},
                                 {"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
                                 {"Access-Control-Allow-Headers", "Origin, X-Requested-With, Content-Type, Accept, Authorization"},
                                 {"Access-Control-Max-Age", "86400"}};
            co_return preflight;
        }
        if (in.method != "GET" && !is_post) {
            shape.form = route.route_mode == mode::http ? reply_form::http : reply_form::json_plain;
            auto out = error_response(shape,
                                      {405, "werkzeug.exceptions.MethodNotAllowed",
                                       "method " + in.method + " is not allowed here; use GET or POST",
                                       std::nullopt});
            out.headers.emplace_back("Allow", "GET, POST");
            co_return out;
        }

        // Parameters: query (or data / JSON-RPC params), form body, then path variables.
        std::optional<std::string> session_id = find_cookie(in.cookie, "session_id");
        json::object params;
        if (route.route_mode == mode::json) {
            shape.form = is_post ? reply_form::json_rpc : reply_form::json_plain;
            if (is_post) {
                auto call = jsonrpc::parse_call(in.body);
                shape.rpc_id = std::move(call.id);
                params = std::move(call.params);
                if (auto const* sid = params.if_contains("session_id"); sid && sid->is_string() && !session_id)
                    session_id = std::string(sid->get_string());
            }
            add_pairs(params, session_id, decode_pairs(query, "query string"), !is_post);
        }
        else {
            shape.form = reply_form::http;
            add_pairs(params, session_id, decode_pairs(query, "query string"), false);
            if (is_post && in.content_type.starts_with("application/x-www-form-urlencoded"))
                add_pairs(params, session_id, decode_pairs(in.body, "form body"), false);
        }
        for (auto& [name, value] : matched->variables)
            params[name] = std::move(value);

        route_call call{request(std::move(in.method), std::string(path), std::move(params), session_id, timeout_),
                        shape};

        call.req.attach_services(services_);
        // Authentication: the session store is the seam (orm_bridge/session.hpp).
        if (session_id) {
            auto found = co_await sessions_.find(*session_id);
            if (found)
                call.req.attach_session(std::move(*found));
        }
        if (route.must_be_authenticated && !call.req.authenticated())
            throw authentication_error(session_id ? "the session has expired or is not logged in"
                                                  : "this route needs a logged-in session: send the session_id "
                                                    "cookie or parameter");
        auto out = co_await run(route, std::move(call));
        co_return out;
    }
    catch (...) {
        auto const error = describe_error(std::current_exception());
        if (error.unexpected)
            log::error("dispatcher", "request failed: ", error.message);
        co_return error_response(shape, error);
    }
}

asio::awaitable<outgoing_response> dispatcher::run(route_table::route const& route, route_call call)
{
    using namespace asio::experimental::awaitable_operators;
    auto executor = co_await asio::this_coro::executor;

    // The deadline timer doubles as the shutdown signal: stop() cancels it.
    asio::steady_timer deadline(executor, call.req.deadline());
    if (stopping_)
        deadline.cancel();
    running_.push_front(&deadline);
    auto const position = running_.begin();
    struct unlink {
        std::list<asio::steady_timer*>& list;
        std::list<asio::steady_timer*>::iterator at;
        ~unlink() { list.erase(at); }
    } const guard{running_, position};

    error_reply error;
    try {
        auto outcome = co_await (invoke(route, call.req) || wait_for(deadline));
        if (outcome.index() == 0) {
            auto& finished = std::get<0>(outcome);
            if (finished.error)
                std::rethrow_exception(finished.error);
            if (auto slot = call.req.deferred()) {
                // The handler parked its reply (a bus poll): the transport waits on the slot.
                slot->shape(call.shape);
                outgoing_response later;
                later.deferred = std::move(slot);
                co_return later;
            }
            co_return success_response(call.shape, std::move(finished));
        }
        if (route.timeout_result) {
            // Out of time (or shutting down): this route answers as if nothing came.
            co_return json_response(call.shape, *route.timeout_result);
        }
        throw request_timeout(stopping_ ? "the server is shutting down"
                                        : "the handler did not answer within longpolling_timeout ("
                                              + seconds_text(call.req.timeout()) + ")");
    }
    catch (...) {
        error = describe_error(std::current_exception());
    }
    if (error.unexpected)
        log::error("route", route.handler_name, " failed: ", error.message);
    co_return error_response(call.shape, error);
}

} // namespace lp
