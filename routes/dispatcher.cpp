#include "routes/dispatcher.hpp"

#include "orm_bridge/log.hpp"
#include "routes/error_reply.hpp"
#include "routes/deferred_reply.hpp"
#include "routes/jsonrpc.hpp"
#include "routes/reply_shape.hpp"
#include "routes/url.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace lp {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;

/// What a handler produced, whatever its mode, or the exception it raised (as a value, so that
/// the handler's own coroutine always completes the same way).
struct handler_outcome {
    std::optional<json::value> json;
    std::optional<http_reply> http;
    std::exception_ptr error;
};

/// Runs the handler; `finished` is set the moment it returns, before its completion travels
/// back, so that a deadline firing in between does not discard a result already there.
asio::awaitable<handler_outcome> invoke(route_table::route const& route, request& req, bool& finished)
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
    finished = true;
    co_return outcome;
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
    route_table::route const* route;
    request req;
    reply_shape shape;
};

/// A handler's deadline. When it passes (or at stop()), the handler's coroutine is cancelled
/// through `signal`, and its result, whatever it is, gives way to the timeout answer. Shared
/// with the timer's completion, which may still be queued when the handler is long done.
struct dispatcher::deadline {
    explicit deadline(asio::any_io_executor executor) : timer(executor) {}
    asio::steady_timer timer;
    asio::cancellation_signal signal;
    bool finished = false; ///< the handler has returned: nothing left to cancel
    bool expired = false;  ///< the handler was cancelled: answer as at the deadline

    void expire()
    {
        if (finished || expired)
            return;
        expired = true;
        signal.emit(asio::cancellation_type::terminal);
    }
};

dispatcher::dispatcher(route_table const& routes, orm::session_store& sessions,
                       std::chrono::steady_clock::duration timeout, lp::services const* shared)
    : routes_(routes), sessions_(sessions), services_(shared), timeout_(timeout)
{
}

void dispatcher::stop()
{
    stopping_ = true;
    // A copy: expire() emits cancellation, and nothing may change the list while it is walked.
    auto const running = running_;
    for (auto const& d : running)
        d->expire();
}

std::variant<outgoing_response, dispatcher::route_call> dispatcher::prepare(incoming_request in,
                                                                         reply_shape& shape) const
{
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
        auto preflight = cors::preflight("Origin, X-Requested-With, Content-Type, Accept, Authorization");
        cors::allow_any_origin(preflight.headers);
        return preflight;
    }
    if (in.method != "GET" && !is_post) {
        shape.form = route.route_mode == mode::http ? reply_form::http : reply_form::json_plain;
        auto out = error_response(shape,
                                  {405, "werkzeug.exceptions.MethodNotAllowed",
                                   "method " + in.method + " is not allowed here; use GET or POST",
                                   std::nullopt});
        out.headers.emplace_back("Allow", "GET, POST");
        return out;
    }

    // Parameters: query (or data / JSON-RPC params), form body, then path variables.
    std::optional<std::string> session_id = find_cookie(in.cookie, "session_id");
    bool const json_rpc = route.route_mode == mode::json && is_post;
    shape.form = route.route_mode == mode::http ? reply_form::http
                 : json_rpc                     ? reply_form::json_rpc
                                                : reply_form::json_plain;
    // A JSON-RPC body's params are kept as parsed, in their own bounded storage (moved, not copied).
    auto rpc = json_rpc ? jsonrpc::parse_call(in.body) : jsonrpc::call{};
    json::object params(std::move(rpc.params));
    if (route.route_mode == mode::json) {
        if (json_rpc) {
            shape.rpc_id = std::move(rpc.id);
            shape.rpc_call_read = true;
            if (auto const* sid = params.if_contains("session_id"); sid && sid->is_string() && !session_id)
                session_id = std::string(sid->get_string());
        }
        add_pairs(params, session_id, decode_pairs(query, "query string"), !is_post);
    }
    else {
        add_pairs(params, session_id, decode_pairs(query, "query string"), false);
        if (is_post && in.content_type.starts_with("application/x-www-form-urlencoded"))
            add_pairs(params, session_id, decode_pairs(in.body, "form body"), false);
    }
    for (auto& [name, value] : matched->variables)
        params[name] = std::move(value);

    route_call call{&route, request(std::move(in.method), std::string(path), std::move(params), session_id, timeout_),
                    shape};
    // Odoo 13+'s company switcher: the companies record rules see (orm_bridge/caller.hpp).
    if (auto cids = find_cookie(in.cookie, "cids"))
        call.req.attach_companies(parse_company_ids(*cids));
    return call;
}

asio::awaitable<outgoing_response> dispatcher::dispatch(incoming_request in, asio::cancellation_slot client_gone)
{
    reply_shape shape;
    try {
        if (!raw_endpoints_.empty()) {
            auto const path = std::string_view(in.target).substr(0, in.target.find('?'));
            if (auto const raw = raw_endpoints_.find(std::string(path)); raw != raw_endpoints_.end())
                co_return raw->second(in); // its errors are answered below, as a route's
        }
        auto client_address = std::move(in.client_address);
        auto prepared = prepare(std::move(in), shape);
        if (auto* answer = std::get_if<outgoing_response>(&prepared))
            co_return std::move(*answer);
        auto& call = std::get<route_call>(prepared);
        call.req.attach_services(services_);
        call.req.attach_client_address(std::move(client_address));
        // Authentication: the session store is the seam (orm_bridge/session.hpp).
        if (auto const& session_id = call.req.session_id()) {
            auto found = co_await sessions_.find(*session_id);
            if (found)
                call.req.attach_session(std::move(*found));
        }
        if (call.route->must_be_authenticated && !call.req.authenticated())
            throw authentication_error(call.req.session_id() ? "the session has expired or is not logged in"
                                                             : "this route needs a logged-in session: send the "
                                                               "session_id cookie or parameter");
        co_return co_await run(call, client_gone);
    }
    catch (...) {
        auto const error = describe_error(std::current_exception());
        if (error.unexpected)
            log::error("dispatcher", "request failed: ", error.message);
        co_return error_response(shape, error);
    }
}

asio::awaitable<outgoing_response> dispatcher::run(route_call& call, asio::cancellation_slot client_gone)
{
    auto const& route = *call.route;
    auto executor = co_await asio::this_coro::executor;
    auto d = std::make_shared<deadline>(executor);
    running_.push_front(d);
    // A client that leaves ends its handler as the deadline would (the transport drops the answer).
    if (client_gone.is_connected())
        client_gone.assign([d](asio::cancellation_type) { d->expire(); });
    struct unlink {
        std::list<std::shared_ptr<deadline>>& list;
        std::list<std::shared_ptr<deadline>>::iterator at;
        asio::cancellation_slot client_gone;
        ~unlink()
        {
            (*at)->finished = true;
            (*at)->timer.cancel();
            if (client_gone.is_connected())
                client_gone.clear();
            list.erase(at);
        }
    } const guard{running_, running_.begin(), client_gone};

    error_reply error;
    try {
        if (stopping_)
            d->expired = true; // answer at once, without starting the handler
        else {
            d->timer.expires_at(call.req.deadline());
            d->timer.async_wait([d](boost::system::error_code ec) {
                if (!ec)
                    d->expire();
            });
            // The handler runs as a coroutine of its own, so that the deadline can cancel
            // whatever it waits for (a timer, a cursor, a query) through the signal.
            auto finished = co_await asio::co_spawn(executor, invoke(route, call.req, d->finished),
                                                    asio::bind_cancellation_slot(d->signal.slot(), asio::use_awaitable));
            if (finished.error && !d->expired)
                std::rethrow_exception(finished.error);
            if (auto slot = call.req.deferred(); slot && !finished.error) {
                // The handler parked its reply (a bus poll): the transport waits on the slot,
                // which answers by the deadline itself.
                slot->shape(call.shape);
                outgoing_response later;
                later.deferred = std::move(slot);
                co_return later;
            }
            if (!d->expired)
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
