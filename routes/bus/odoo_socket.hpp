// One client of Odoo 16-18's /websocket: its session, its messages (subscribe,
// update_presence) and its subscription, fed by the database's socket_hub.
//
// - Messages are handled in order, one at a time; each first checks the session (a logged-in
//   socket whose session is gone, whose password changed or whose user was deactivated is
//   closed with 4001). The rate limit and the message's shape are checked on arrival
//   (1013, 1003).
// - subscribe replaces the subscription, takes the rows after `last` from the hub's memory when
//   it holds them all (a recent `last`), else reads them (Odoo's _poll), and sends them; rows
//   the hub offers during a read wait and go with them. Later rows go out one frame per
//   dispatch, after the session check. No id is sent twice (the ids sent in the last 10 s are
//   kept), whatever order the reads bring them in.
#pragma once

#include "orm_bridge/session.hpp"
#include "routes/bus/message_rate.hpp"
#include "routes/bus/socket_hub.hpp"
#include "routes/websocket.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lp {
class request;
namespace orm {
class database;
}
namespace bus {
class message_bus;
}
} // namespace lp

namespace lp::bus {

/// Lifetime: owned by its connection's handler and by its own coroutines (shared); closed()
/// detaches it from the connection and the hub, after which it does nothing.
class odoo_socket final : public bus_subscriber, public std::enable_shared_from_this<odoo_socket> {
public:
    /// `db_name`: the `db` query parameter ("" when absent), for a public socket with several
    /// databases served. `public_user`: the session only chooses the database (Odoo's
    /// downgrade of a cross-origin socket, ODOO_BUS_PUBLIC_SAMESITE_WS).
    odoo_socket(websocket_session& ws, services const& shared, std::optional<std::string> session_id,
                std::string db_name, bool public_user = false);

    /// Finds the session, then serves the messages that came meanwhile.
    void start();
    /// A message from the client, as the transport hands it.
    void received(std::string_view data);
    /// The connection has ended.
    void closed();

    void offer(shared_row const& row) override;
    void flush() override;

private:
    bool open() const { return ws_ && ws_->is_open(); }
    void close(std::uint16_t code, std::string_view reason);
    lp::request make_request(std::optional<orm::session> session) const;
    /// The request the channel hooks see: this socket's database and user.
    lp::request hooks_request() const;

    boost::asio::awaitable<void> serve();
    boost::asio::awaitable<void> handle(boost::json::object message);
    /// True while the socket is public, or its session is still valid.
    boost::asio::awaitable<bool> session_valid() const;
    boost::asio::awaitable<void> subscribe(boost::json::value const* data);
    void update_presence(boost::json::value const* data);

    void dispatch();
    boost::asio::awaitable<void> dispatch_checked();
    /// Sends `rows` as one frame: in id order, each once, none sent in the last 10 s.
    void send(std::vector<shared_row> rows);

    websocket_session* ws_; ///< null once closed
    services const& shared_;
    message_bus& bus_;
    std::optional<std::string> session_id_;
    std::string db_name_;
    bool public_user_;
    std::int64_t uid_ = 0; ///< the logged-in user (found at the start); 0: the public user
    orm::database* db_ = nullptr;

    std::vector<boost::json::object> inbox_;
    bool serving_ = false;
    message_rate rate_;

    bool replaying_ = false;   ///< a subscribe's read is out: offered rows wait for it
    bool dispatching_ = false; ///< a session check before a dispatch is out
    std::int64_t floor_ = 0;   ///< the subscribe's last id: the client has the rows up to it
    std::vector<shared_row> pending_;
    std::vector<std::pair<std::int64_t, std::chrono::steady_clock::time_point>> sent_; ///< in send order
};

} // namespace lp::bus
