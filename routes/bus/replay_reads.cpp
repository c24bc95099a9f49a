#include "routes/bus/replay_reads.hpp"

#include "routes/bus/arrival_rows.hpp"
#include "routes/bus/fetch_driver.hpp"
#include "routes/bus/socket_hub.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>
#include <limits>
#include <optional>
#include <set>

namespace lp::bus {
namespace asio = boost::asio;

struct replay_reads::waiter {
    explicit waiter(asio::any_io_executor executor) : wake(executor, asio::steady_timer::time_point::max()) {}
    std::vector<std::string> keys;
    std::int64_t last = 0;
    bool hub_start = false;
    std::optional<replay_result> out;
    std::exception_ptr error;
    bool done = false;
    asio::steady_timer wake; ///< cancelled when done
};

replay_reads::replay_reads(asio::any_io_executor executor, orm::database& db, int odoo_version,
                           std::chrono::seconds timeout)
    : executor_(executor), db_(db), odoo_version_(odoo_version), timeout_(timeout)
{
}

replay_reads::~replay_reads() = default;

asio::awaitable<replay_result> replay_reads::read(std::vector<std::string> keys, std::int64_t last, bool hub_start)
{
    auto w = std::make_shared<waiter>(executor_);
    w->keys = std::move(keys);
    w->last = std::max<std::int64_t>(last, 0);
    w->hub_start = hub_start;
    queued_.push_back(w);
    if (!running_) {
        running_ = true;
        asio::co_spawn(executor_, run(), asio::detached);
    }
    if (!w->done) {
        boost::system::error_code cancelled;
        co_await w->wake.async_wait(asio::redirect_error(asio::use_awaitable, cancelled));
    }
    if (w->error)
        std::rethrow_exception(w->error);
    co_return std::move(*w->out);
}

namespace {
/// Each waiter's own rows from the shared read, as Odoo's _poll would have read them alone.
void distribute(std::vector<std::shared_ptr<replay_reads::waiter>> const& batch, read_result& result);
} // namespace

asio::awaitable<void> replay_reads::run()
{
    // Posted first: the subscribes of this turn of the event loop join the first read too.
    co_await asio::post(executor_, asio::use_awaitable);
    while (!queued_.empty()) {
        auto batch = std::exchange(queued_, {});
        // One read for all: the newest id, then the union of their channels after the smallest
        // last id, or recent (for last 0, and for a last above the newest, which counts as 0).
        read_plan plan;
        plan.newest = true;
        plan.first_polls = true;
        std::set<std::string> keys;
        for (auto const& w : batch) {
            keys.insert(w->keys.begin(), w->keys.end());
            if (w->last > 0)
                plan.arrivals_since = std::min(plan.arrivals_since.value_or(w->last), w->last);
            if (w->hub_start)
                plan.settle_seconds = static_cast<int>(socket_hub::history.count());
        }
        plan.arrival_keys.assign(keys.begin(), keys.end());
        try {
            auto result = co_await read_bus(db_, std::move(plan), odoo_version_, timeout_);
            distribute(batch, result);
        }
        catch (...) {
            for (auto const& w : batch)
                w->error = std::current_exception();
        }
        for (auto const& w : batch) {
            w->done = true;
            w->wake.cancel();
        }
    }
    running_ = false;
}

namespace {
void distribute(std::vector<std::shared_ptr<replay_reads::waiter>> const& batch, read_result& result)
{
    auto const newest = result.newest.value_or(0);
    arrival_rows const read(result.for_arrivals);
    std::vector<bus_row const*> mine;
    for (auto const& w : batch) {
        replay_result out;
        out.newest = newest;
        out.last = w->last > newest ? 0 : w->last;
        read.select(w->keys, out.last, mine);
        for (auto const* row : mine)
            out.rows.push_back(*row);
        if (w->hub_start) {
            out.settled = result.settled.value_or(newest);
            out.committed_since = result.committed_since;
        }
        w->out = std::move(out);
    }
}
} // namespace

} // namespace lp::bus
