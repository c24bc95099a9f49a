// The metrics_port: a listener of its own that serves GET /metrics and nothing else, so that
// the main port need not expose it (firewall the one, publish the other).
#pragma once

#include "orm_bridge/session.hpp"
#include "routes/dispatcher.hpp"
#include "routes/route_table.hpp"
#include "routes/services.hpp"
#include "server/http_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace lp {

class metrics_endpoint {
public:
    /// Binds and starts serving `route` (lp::metrics_route()).
    /// Errors: boost::system::system_error (address in use, bad address).
    metrics_endpoint(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint, http_limits limits,
                     route_definition route);

    boost::asio::ip::tcp::endpoint local_endpoint() const { return server_.local_endpoint(); }

    /// Stops accepting and closes its connections.
    void stop();

private:
    route_definition route_;
    route_table routes_;
    orm::no_session_store sessions_;
    services services_;
    dispatcher dispatcher_;
    http_server server_;
};

} // namespace lp
