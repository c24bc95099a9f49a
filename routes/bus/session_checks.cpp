#include "routes/bus/session_checks.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>

namespace lp::bus {
namespace asio = boost::asio;

struct session_checks::lookup {
    explicit lookup(asio::any_io_executor executor) : done_signal(executor, asio::steady_timer::time_point::max()) {}
    bool done = false;
    std::optional<orm::session> found;
    std::exception_ptr error;
    asio::steady_timer done_signal; ///< cancelled when done
};

session_checks::session_checks(asio::any_io_executor executor) : executor_(executor) {}

session_checks::~session_checks() { *alive_ = false; }

asio::awaitable<std::optional<orm::session>> session_checks::find(orm::session_store& store,
                                                                  std::string const& session_id)
{
    auto& slot = recent_[session_id];
    auto shared = slot;
    if (!shared) {
        shared = slot = std::make_shared<lookup>(executor_);
        ++lookups_;
        try {
            shared->found = co_await store.find(session_id);
        }
        catch (...) {
            shared->error = std::current_exception();
        }
        shared->done = true;
        shared->done_signal.cancel();
        forget_soon();
    }
    else if (!shared->done) {
        boost::system::error_code cancelled;
        co_await shared->done_signal.async_wait(asio::redirect_error(asio::use_awaitable, cancelled));
    }
    if (shared->error)
        std::rethrow_exception(shared->error);
    co_return shared->found;
}

void session_checks::forget_soon()
{
    if (forgetting_)
        return;
    forgetting_ = true;
    // Posted: runs after the checks the same wake-up queued, which share the answers.
    asio::post(executor_, [this, alive = alive_] {
        if (!*alive)
            return;
        forgetting_ = false;
        std::erase_if(recent_, [](auto const& entry) { return entry.second->done; });
    });
}

} // namespace lp::bus
