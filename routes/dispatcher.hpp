// Runs the handler a request names and turns its result, or its error, into a response.
// It knows nothing of sockets: the transport hands it a parsed request and writes the answer.
#pragma once

#include "orm_bridge/session.hpp"
#include "routes/outgoing_response.hpp"
#include "routes/reply_shape.hpp"
#include "routes/route_table.hpp"
#include "routes/services.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <chrono>
#include <functional>
#include <unordered_map>
#include <list>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace lp {

/// A request as the transport read it.
struct incoming_request {
    std::string method;       ///< "GET", "POST", ...
    std::string target;       ///< path and query, as sent
    std::string content_type; ///< the Content-Type header
    std::string cookie;       ///< the Cookie header
    std::string body;
    std::string client_address; ///< the peer's IP address (X-Forwarded-For's last with proxy_mode)
    std::string origin;         ///< the Origin header ("" when absent)
    std::string host;           ///< the Host header
};

/// Matches requests to routes and runs their handlers under the longpolling_timeout deadline.
class dispatcher {
public:
    /// `shared` is lent to every request (may be null: no database, no bus).
    dispatcher(route_table const& routes, orm::session_store& sessions, std::chrono::steady_clock::duration timeout,
               lp::services const* shared = nullptr);

    /// The response to `in`. Never throws: errors become 4xx/5xx responses.
    /// Cancellation: stop() makes every pending dispatch answer at once, as at its deadline.
    /// `client_gone` (from the transport, when the client has left) cancels a running handler
    /// the same way; the answer is then for nobody.
    boost::asio::awaitable<outgoing_response> dispatch(incoming_request in,
                                                       boost::asio::cancellation_slot client_gone = {});

    /// A transport of its own served at exact `path` (outside the routes, whatever the method):
    /// it reads the request as it came and answers it, possibly later through
    /// outgoing_response::deferred (Engine.IO's long-polling).
    using raw_endpoint = std::function<outgoing_response(incoming_request const&)>;
    void serve_raw(std::string path, raw_endpoint endpoint) { raw_endpoints_[std::move(path)] = std::move(endpoint); }

    /// Answers every waiting handler now (408, as at its deadline) and every later one at once.
    void stop();

    /// Handlers running now.
    std::size_t running() const { return running_.size(); }

private:
    struct route_call;
    struct deadline;

    /// Everything decided before the handler runs, without waiting: routing, parameters, the
    /// shape of the reply. Either a response right away (a preflight, a 405) or a call to make.
    /// Errors: the exceptions of routes/errors.hpp (bad request, not found).
    std::variant<outgoing_response, route_call> prepare(incoming_request in, reply_shape& shape) const;
    boost::asio::awaitable<outgoing_response> run(route_call& call, boost::asio::cancellation_slot client_gone);

    route_table const& routes_;
    std::unordered_map<std::string, raw_endpoint> raw_endpoints_;
    orm::session_store& sessions_;
    lp::services const* services_;
    std::chrono::steady_clock::duration timeout_;
    bool stopping_ = false;
    // The deadline of every running handler: stop() fires them all. A list, so that a
    // handler that finishes removes itself in O(1).
    std::list<std::shared_ptr<deadline>> running_;
};

} // namespace lp
