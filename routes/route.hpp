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
// Options follow the fourth argument, in any order, in both macros:
//
//   LONGPOLLING_ROUTE(poll, "/longpolling/poll", lp::mode::json, lp::public_route,
//                     lp::route_option::at_root, lp::route_option::cors,
//                     lp::route_option::answering_at_timeout(boost::json::array{}))
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
};

/// A route's options: each one changes the definition it is given.
namespace route_option {
/// At the path as written, whatever longpolling_path is (Odoo's /longpolling/poll...).
inline constexpr auto at_root = [](route_definition& d) { d.prefixed = false; };
/// Any origin may call it (Odoo's cors="*"), preflight included.
inline constexpr auto cors = [](route_definition& d) { d.cors = true; };
/// What a json route answers when it runs out of time (the bus: [], as Odoo's poll does).
inline auto answering_at_timeout(boost::json::value result)
{
    return [result = std::move(result)](route_definition& d) { d.timeout_result = result; };
}
/// The route set it belongs to (the macros pass their library's LP_ROUTE_SET).
inline auto in_set(std::string_view set)
{
    return [set](route_definition& d) { d.route_set = set; };
}
} // namespace route_option

/// Adds a definition to the program's list of routes (read by the server at start-up).
void define_route(route_definition definition);

/// Builds a definition; the handler's type must fit the mode, or this does not compile.
/// `options` are route_option values, applied in order.
template <mode M, class... Options>
route_definition make_route(std::string_view handler_name, route_path path, bool must_be_authenticated,
                            boost::asio::awaitable<handler_result_t<M>> (*handler)(request&), Options const&... options)
{
    route_definition d{handler_name, path.text, M, must_be_authenticated, handler, true, false, std::nullopt, {}};
    (options(d), ...);
    return d;
}

/// Registers a route while the program starts (what the macros below create, one per route;
/// write the macros, not this).
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

/// Declares handler `name` and registers it at `path` (the seed's `@longpolling.route`),
/// with optional lp::route_option values after `authenticated`. The body that follows is the
/// handler; it sees `lp::request& request`.
#define LONGPOLLING_ROUTE(name, path, route_mode, authenticated, ...)                                 \
    static ::boost::asio::awaitable<::lp::handler_result_t<route_mode>> name(::lp::request& request); \
    LONGPOLLING_ADD_ROUTE(name, path, route_mode, authenticated __VA_OPT__(, ) __VA_ARGS__);          \
    static ::boost::asio::awaitable<::lp::handler_result_t<route_mode>> name(::lp::request& request)

/// Registers one more path for an already declared handler (the seed stacks decorators), with
/// the same optional route_option values.
#define LONGPOLLING_ADD_ROUTE(name, path, route_mode, authenticated, ...)                                  \
    static ::lp::route_registrar const LP_ROUTE_CONCAT(lp_route_registrar_, __LINE__)                      \
    {                                                                                                      \
        ::lp::make_route<route_mode>(#name, ::lp::route_path{path}, authenticated, &name,                   \
                                     ::lp::route_option::in_set(LP_ROUTE_SET) __VA_OPT__(, ) __VA_ARGS__)   \
    }
