// The one header a handler author includes.
//
//   LONGPOLLING_ROUTE(partner_of_user, "/varroute/<var1>/<var2>", lp::mode::json, true)
//   {
//       auto var1 = request.param<std::string>("var1");
//       co_return boost::json::object{{"var1", var1}, {"uid", request.uid()}};
//   }
//   LONGPOLLING_ADD_ROUTE(partner_of_user, "/otherroute", lp::mode::json, true);
//
// The registry serves it under longpolling_path ("/openerplongpolling/varroute/<var1>/<var2>").
#pragma once

#include "routes/errors.hpp"
#include "routes/http_reply.hpp"
#include "routes/path_pattern.hpp"
#include "routes/request.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace lp {

/// How a route reads its parameters and writes its reply (the seed's `mode`).
enum class mode {
    json, ///< GET ?data=<json> or JSON-RPC POST in; JSON out (application/json).
    http  ///< query-string and form parameters in; a body, status and content type out.
};

template <mode M>
struct handler_result;
template <>
struct handler_result<mode::json> {
    using type = boost::json::value;
};
template <>
struct handler_result<mode::http> {
    using type = http_reply;
};
template <mode M>
using handler_result_t = typename handler_result<M>::type;

/// A handler: a coroutine that takes the request by reference (the framework keeps it alive
/// until the coroutine completes) and returns JSON (json mode) or an http_reply (http mode).
using json_handler = boost::asio::awaitable<boost::json::value> (*)(request&);
using http_handler = boost::asio::awaitable<http_reply> (*)(request&);

/// One `route(path, mode, must_be_authenticated)` declaration, before the registry adds
/// longpolling_path.
struct route_definition {
    std::string_view handler_name;
    std::string_view path;
    mode route_mode;
    bool must_be_authenticated;
    std::variant<json_handler, http_handler> handler;
    bool prefixed = true;   ///< served under longpolling_path (Odoo's own paths are not)
    bool cors = false;      ///< any origin may call it (Odoo's cors="*"), preflight included
    std::optional<boost::json::value> timeout_result; ///< json result at the deadline or shutdown, instead of 408
    std::string_view route_set;                       ///< its set: "examples" are off unless enabled

    /// At the path as written, whatever longpolling_path is (Odoo's /longpolling/poll...).
    route_definition at_root() const { auto copy = *this; copy.prefixed = false; return copy; }
    route_definition with_cors() const { auto copy = *this; copy.cors = true; return copy; }
    route_definition in_set(std::string_view set) const { auto copy = *this; copy.route_set = set; return copy; }
    /// What a json route answers when it runs out of time (the bus: [], as Odoo's poll does).
    route_definition answering_at_timeout(boost::json::value result) const
    {
        auto copy = *this;
        copy.timeout_result = std::move(result);
        return copy;
    }
};

/// Adds a definition to the program's list of routes (read by the server at start-up).
void define_route(route_definition definition);

/// Builds a definition; the handler's type must fit the mode, or this does not compile.
template <mode M>
route_definition make_route(std::string_view handler_name, route_path path, bool must_be_authenticated,
                            boost::asio::awaitable<handler_result_t<M>> (*handler)(request&))
{
    return route_definition{handler_name, path.text, M, must_be_authenticated, handler, true, false, std::nullopt, {}};
}

/// Registers a route while the program starts (what the macros below create, one per route).
struct route_registrar {
    explicit route_registrar(route_definition definition) { define_route(definition); }
};

/// Spellings of the third argument of a route, for readability.
inline constexpr bool must_be_authenticated = true;
inline constexpr bool public_route = false;

/// Suspends the calling handler for `duration` without blocking anyone else.
/// Cancellation: completes early (throwing operation_aborted) when the request is cancelled,
/// which the framework does at the deadline or at shutdown.
boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration duration);

} // namespace lp

/// The route set of the macros' routes: a compile definition of their library ("examples",
/// routes/CMakeLists.txt). Expanded in the macros only, so that no inline code differs between files.
#ifndef LP_ROUTE_SET
#define LP_ROUTE_SET ""
#endif

#define LP_ROUTE_CONCAT_INNER(a, b) a##b
#define LP_ROUTE_CONCAT(a, b) LP_ROUTE_CONCAT_INNER(a, b)

/// Declares handler `name` and registers it at `path` (the seed's `@longpolling.route`).
/// The body that follows is the handler; it sees `lp::request& request`.
#define LONGPOLLING_ROUTE(name, path, route_mode, authenticated)                                      \
    static ::boost::asio::awaitable<::lp::handler_result_t<route_mode>> name(::lp::request& request); \
    LONGPOLLING_ADD_ROUTE(name, path, route_mode, authenticated);                                     \
    static ::boost::asio::awaitable<::lp::handler_result_t<route_mode>> name(::lp::request& request)

/// Registers one more path for an already declared handler (the seed stacks decorators).
#define LONGPOLLING_ADD_ROUTE(name, path, route_mode, authenticated)                             \
    static ::lp::route_registrar const LP_ROUTE_CONCAT(lp_route_registrar_, __LINE__)            \
    {                                                                                            \
        ::lp::make_route<route_mode>(#name, ::lp::route_path{path}, authenticated, &name)          \
            .in_set(LP_ROUTE_SET)                                                                \
    }
