#include "routes/bus/odoo_socket.hpp"

#include "orm_bridge/database.hpp"
#include "orm_bridge/errors.hpp"
#include "orm_bridge/log.hpp"
#include "routes/bus/message_bus.hpp"
#include "routes/bus/presence.hpp"
#include "routes/bus/presence_report.hpp"
#include "routes/bus/subscription.hpp"
#include "routes/json_limits.hpp"
#include "routes/request.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>
#include <limits>

namespace lp::bus {
namespace asio = boost::asio;
namespace json = boost::json;
using clock = std::chrono::steady_clock;

namespace {
// Odoo's CloseCode values this endpoint sends (the transport sends the others).
constexpr std::uint16_t incorrect_data = 1003;
constexpr std::uint16_t message_too_big = 1009;
constexpr std::uint16_t server_error = 1011;
constexpr std::uint16_t try_later = 1013;
constexpr std::uint16_t session_expired = 4001;

/// The presence row, then Odoo 16's answer to im_status_ids_by_model (which reads it).
asio::awaitable<void> presence_then_im_status(orm::database* db, int odoo_version, std::int64_t uid, std::int64_t ms,
                                              std::vector<std::int64_t> partner_ids)
{
    co_await update_presence(db, odoo_version, uid, ms);
    co_await answer_im_status(*db, odoo_version, uid, std::move(partner_ids));
}

/// How long sent ids are remembered against a second sending (Odoo's MAX_NOTIFICATION_HISTORY_SEC).
constexpr auto sent_history = socket_hub::history;
} // namespace

odoo_socket::odoo_socket(websocket_session& ws, services const& shared, std::optional<std::string> session_id,
                         std::string db_name, bool public_user)
    : ws_(&ws), shared_(shared), bus_(*shared.bus), session_id_(std::move(session_id)), db_name_(std::move(db_name)),
      public_user_(public_user), rate_(shared.websocket_rate_limit_burst, shared.websocket_rate_limit_delay)
{
}

void odoo_socket::start()
{
    serving_ = true;
    asio::co_spawn(bus_.executor(), serve(), asio::detached);
}

void odoo_socket::close(std::uint16_t code, std::string_view reason)
{
    if (open())
        ws_->close(code, reason);
}

void odoo_socket::received(std::string_view data)
{
    if (!open())
        return;
    if (!rate_.allow(clock::now()))
        return close(try_later, "rate limit exceeded");
    if (data == std::string_view("\0", 1))
        return; // newer Odoo clients' sentinel
    json::value message;
    try {
        message = parse_request_json(data); // within the same memory and depth limits as a request's
    }
    catch (lp::payload_too_large const&) {
        return close(message_too_big, "message too big once parsed");
    }
    catch (lp::bad_request const&) {
    }
    if (!message.is_object() || !message.as_object().contains("event_name"))
        return close(incorrect_data, "a message is a JSON object with an event_name");
    inbox_.push_back(std::move(message.as_object()));
    if (!serving_) {
        serving_ = true;
        asio::co_spawn(bus_.executor(), serve(), asio::detached);
    }
}

void odoo_socket::closed()
{
    if (db_)
        bus_.sockets(*db_).unsubscribe(*this);
    ws_ = nullptr;
    inbox_ = {};
    pending_ = {};
}

lp::request odoo_socket::make_request(std::optional<orm::session> session) const
{
    json::object params;
    if (!db_name_.empty())
        params["db"] = db_name_;
    lp::request r("GET", "/websocket", std::move(params), session_id_, bus_.settings().timeout);
    r.attach_services(&shared_);
    if (session)
        r.attach_session(std::move(*session));
    return r;
}

lp::request odoo_socket::hooks_request() const
{
    std::optional<orm::session> session;
    if (uid_ != 0)
        session = orm::session{*session_id_, db_->name(), uid_, {}, {}};
    return make_request(std::move(session));
}

asio::awaitable<void> odoo_socket::serve()
{
    auto self = shared_from_this(); // alive until this returns, whatever the connection does
    try {
        if (!db_) {
            // The session of the cookie, once: a logged-in socket stays that user's (and is
            // closed when the session ends); no session, or an unknown one, is the public user.
            std::optional<orm::session> session;
            if (session_id_ && shared_.sessions)
                session = co_await shared_.sessions->find(*session_id_);
            uid_ = session && !public_user_ ? session->uid : 0;
            db_ = &make_request(std::move(session)).database(); // the session's, else ?db=, else the only one
        }
        for (std::size_t i = 0; i < inbox_.size() && open(); ++i) {
            auto message = std::move(inbox_[i]); // inbox_ may grow (not shrink) meanwhile
            co_await handle(std::move(message));
        }
    }
    catch (lp::bad_request const& e) {
        close(incorrect_data, e.what());
    }
    catch (lp::retryable_error const& e) {
        close(try_later, e.what());
    }
    catch (orm::unavailable const& e) { // no cursor in time: Odoo's PoolError
        close(try_later, e.what());
    }
    catch (std::exception const& e) {
        log::warning("websocket", "closing a /websocket after an error: ", e.what());
        close(server_error, "server error");
    }
    inbox_ = {}; // an idle socket keeps no capacity
    serving_ = false;
}

asio::awaitable<bool> odoo_socket::session_valid() const
{
    if (uid_ == 0)
        co_return true;
    // The session file (gone at logout) and the user's row from the database's user cache
    // (a new password or a deactivation changes the token): no query for a known user, and
    // one lookup per session per wake-up, shared by the session's sockets.
    auto const found = co_await bus_.sessions(*db_).find(*shared_.sessions, *session_id_);
    co_return found && found->uid == uid_ && found->db == db_->name();
}

asio::awaitable<void> odoo_socket::handle(json::object message)
{
    if (!co_await session_valid()) {
        close(session_expired, "session expired");
        co_return;
    }
    if (!open())
        co_return;
    auto const* name = message.at("event_name").if_string();
    if (!name)
        throw lp::bad_request("event_name must be a string");
    auto const* data = message.if_contains("data");
    if (*name == "subscribe")
        co_await subscribe(data);
    else if (*name == "update_presence")
        update_presence(data);
    else
        log::debug("websocket", "ignoring the event '", std::string_view(*name), "'");
}

asio::awaitable<void> odoo_socket::subscribe(json::value const* data)
{
    if (!data || !data->is_object())
        throw lp::bad_request("subscribe: data must be an object");
    auto const& fields = data->get_object();
    static json::value const none = json::array{};
    auto const* channels = fields.if_contains("channels");
    auto const wanted = client_channels(channels ? *channels : none, shared_);
    std::int64_t last = 0;
    if (auto const* value = fields.if_contains("last"); value && !value->is_null()) {
        if (!value->is_number())
            throw lp::bad_request("subscribe: last must be a notification id");
        // Any number: one above bus_bus's newest id (however large) counts as 0 later.
        constexpr auto most = std::numeric_limits<std::int64_t>::max();
        if (value->is_int64())
            last = value->get_int64();
        else if (value->is_uint64())
            last = most;
        else if (double const d = value->get_double(); d >= 9.2e18)
            last = most;
        else
            last = d > 0 ? static_cast<std::int64_t>(d) : 0;
    }
    auto request = hooks_request();
    int const version = bus_.settings().odoo_version;
    auto subscription = co_await subscribe_to(request, wanted, version);
    if (!open())
        co_return;

    // Registered before the read, so that nothing committed meanwhile is missed: what the
    // hub offers until the read is back waits for it.
    auto& hub = bus_.sockets(*db_);
    hub.subscribe(*this, subscription.keys);
    pending_.clear();
    // A recent `last` (a reconnect): the rows the hub has read after it are all it missed,
    // and every later one is offered from now on. No read of bus_bus.
    if (auto missed = hub.replay(subscription.keys, last)) {
        floor_ = last;
        if (!missed->empty())
            send(std::move(*missed)); // the session was checked for this message
        co_return;
    }
    replaying_ = true;
    // The first subscriber also reads where the hub starts: the ids committed in the last
    // 10 s are its history, so that a lower id committing after the read is still read.
    bool const hub_start = !hub.has_mark();
    replay_result replay;
    try {
        replay = co_await bus_.replays(*db_).read(subscription.keys, last, hub_start);
    }
    catch (...) {
        replaying_ = false;
        throw;
    }
    if (!open())
        co_return;
    if (hub_start)
        hub.start_at(replay.settled, replay.committed_since, clock::now());
    floor_ = replay.last;
    replaying_ = false;
    std::erase_if(pending_, [this](shared_row const& row) { return row->id <= floor_; });
    for (auto& row : replay.rows)
        pending_.push_back(std::make_shared<bus_row const>(std::move(row)));
    if (!pending_.empty())
        send(std::exchange(pending_, {})); // the session was checked for this message
}

void odoo_socket::update_presence(json::value const* data)
{
    if (uid_ == 0 || !data || !data->is_object())
        return; // the public user has no presence row
    auto const& fields = data->get_object();
    auto const ms = inactivity_ms(fields.if_contains("inactivity_period"));
    if (!ms)
        return;
    auto partner_ids = im_status_partner_ids(fields.if_contains("im_status_ids_by_model"), shared_); // (may throw: 1003)
    if (!presence_write_allowed(shared_, *db_, uid_))
        return; // as the poll and /websocket/update_bus_presence (counted as presence_rate)
    asio::co_spawn(bus_.executor(), presence_then_im_status(db_, bus_.settings().odoo_version, uid_, *ms, std::move(partner_ids)),
                   asio::detached);
}

void odoo_socket::offer(shared_row const& row)
{
    if (!replaying_ && row->id <= floor_)
        return;
    pending_.push_back(row);
}

void odoo_socket::flush()
{
    if (replaying_ || pending_.empty())
        return;
    dispatch();
}

void odoo_socket::dispatch()
{
    if (uid_ == 0) {
        send(std::exchange(pending_, {}));
        return;
    }
    if (dispatching_)
        return; // the check out now sends what has come meanwhile too
    dispatching_ = true;
    asio::co_spawn(bus_.executor(), dispatch_checked(), asio::detached);
}

asio::awaitable<void> odoo_socket::dispatch_checked()
{
    auto self = shared_from_this();
    try {
        while (open() && !replaying_ && !pending_.empty()) {
            bool const valid = co_await session_valid();
            if (!open() || replaying_)
                break;
            if (!valid) {
                close(session_expired, "session expired");
                break;
            }
            send(std::exchange(pending_, {}));
        }
    }
    catch (std::exception const& e) {
        log::warning("websocket", "session check before a dispatch failed: ", e.what());
        close(try_later, "try later");
    }
    dispatching_ = false;
}

void odoo_socket::send(std::vector<shared_row> rows)
{
    if (!open())
        return;
    auto const now = clock::now();
    auto const expired = std::find_if(sent_.begin(), sent_.end(),
                                      [&](auto const& entry) { return now - entry.second <= sent_history; });
    sent_.erase(sent_.begin(), expired);
    std::sort(rows.begin(), rows.end(), [](shared_row const& a, shared_row const& b) { return a->id < b->id; });
    rows.erase(std::unique(rows.begin(), rows.end(), [](shared_row const& a, shared_row const& b) { return a->id == b->id; }),
               rows.end());
    std::erase_if(rows, [this](shared_row const& row) {
        return std::any_of(sent_.begin(), sent_.end(), [&](auto const& entry) { return entry.first == row->id; });
    });
    if (rows.empty()) {
        if (sent_.empty())
            sent_.shrink_to_fit();
        return;
    }
    for (auto const& row : rows)
        sent_.emplace_back(row->id, now);
    ws_->send_text(json_list(rows));
}

} // namespace lp::bus
