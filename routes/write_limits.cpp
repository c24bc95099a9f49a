#include "routes/write_limits.hpp"

#include "orm_bridge/limits_hit.hpp"
#include "routes/errors.hpp"
#include "routes/rate_limiter.hpp"
#include "routes/request.hpp"

namespace lp {

void count_write(request const& request, std::optional<std::string_view> pos_key)
{
    auto const& services = request.services();
    if (services.writes_per_address)
        if (auto const wait = services.writes_per_address->take(request.client_address())) {
            count_limit_hit(limit::write_rate_per_ip);
            throw too_many_requests("too many writes from " + request.client_address()
                                        + " (write_rate_per_ip); retry in " + std::to_string(wait->count()) + " s",
                                    *wait);
        }
    if (pos_key && services.writes_per_pos)
        if (auto const wait = services.writes_per_pos->take(*pos_key)) {
            count_limit_hit(limit::write_rate_per_pos);
            throw too_many_requests("too many updates for this POS (write_rate_per_pos); retry in "
                                        + std::to_string(wait->count()) + " s",
                                    *wait);
        }
}

} // namespace lp
