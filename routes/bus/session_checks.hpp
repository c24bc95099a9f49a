// The session checks of /websocket clients, shared: a wake-up that dispatches to many sockets
// of one session (every tab of a user holds one) looks the session up once, not once per
// socket. A lookup is shared by the checks asked while it is out and until the event loop
// has run what was queued when it came back: one wake-up, never longer.
#pragma once

#include "orm_bridge/session.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace lp::bus {

class session_checks {
public:
    explicit session_checks(boost::asio::any_io_executor executor);
    ~session_checks();

    /// The session `session_id` names now in `store` (nullopt: logged out, changed or forged).
    /// Errors: what the store throws (a database failure).
    boost::asio::awaitable<std::optional<orm::session>> find(orm::session_store& store, std::string const& session_id);

    /// Lookups made in the store (the stats route shows it).
    std::uint64_t lookups() const { return lookups_; }

    struct lookup;

private:
    void forget_soon();

    boost::asio::any_io_executor executor_;
    std::unordered_map<std::string, std::shared_ptr<lookup>> recent_;
    bool forgetting_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true); ///< for the posted forgetting
    std::uint64_t lookups_ = 0;
};

} // namespace lp::bus
