#include "routes/metrics_route.hpp"

#include "orm_bridge/metrics.hpp"

namespace lp {
namespace {

boost::asio::awaitable<http_reply> scrape(request& request)
{
    if (!request.services().metrics)
        throw not_found("the metrics route is disabled (set metrics = True, or metrics_port, to enable it)");
    co_return http_reply(metrics::exposition(), 200, "text/plain; version=0.0.4; charset=utf-8");
}

route_registrar const registered{metrics_route()};

} // namespace

route_definition metrics_route()
{
    return make_route<mode::http>("metrics", "/metrics", public_route, &scrape, route_option::at_root);
}

} // namespace lp
