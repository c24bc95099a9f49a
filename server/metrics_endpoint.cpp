#include "server/metrics_endpoint.hpp"

#include <span>

namespace lp {

namespace {
services metrics_only()
{
    services s;
    s.metrics = true;
    return s;
}
} // namespace

metrics_endpoint::metrics_endpoint(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint endpoint,
                                   http_limits limits, route_definition route)
    : route_(std::move(route)), routes_(std::span(&route_, 1), "/"), services_(metrics_only()),
      dispatcher_(routes_, sessions_, std::chrono::seconds(10), &services_),
      server_(io, endpoint, limits, dispatcher_)
{
    server_.start();
}

void metrics_endpoint::stop()
{
    server_.stop([] {});
}

} // namespace lp
