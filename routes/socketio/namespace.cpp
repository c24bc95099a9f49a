#include "routes/socketio/namespace.hpp"

#include "orm_bridge/database.hpp"
#include "orm_bridge/log.hpp"
#include "routes/error_reply.hpp"
#include "routes/errors.hpp"
#include "routes/url.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace lp::socketio {
namespace json = boost::json;
namespace {

std::vector<namespace_definition>& definitions()
{
    // A function-local static: registrars in other files run before main, in any order.
    static std::vector<namespace_definition> all;
    return all;
}
std::vector<longpolling_event>& longpolling_events()
{
    static std::vector<longpolling_event> all;
    return all;
}

/// Which Odoo session a socket speaks for, once looked up.
struct odoo_socket final : sio::socket::attachment {
    std::optional<std::string> session_id;
    std::optional<orm::session> session;
    bool looked_up = false;
    /// Counts the session_id changes: a lookup started before the last one answers for nobody.
    std::uint64_t generation = 0;
};

odoo_socket& state_of(sio::socket& s) { return static_cast<odoo_socket&>(*s.attached); }

/// A string in `value`, if it is one.
std::optional<std::string> text_of(json::value const* value)
{
    if (value && value->is_string())
        return std::string(value->get_string());
    return std::nullopt;
}
} // namespace

void define_namespace(namespace_definition definition) { definitions().push_back(definition); }
std::vector<namespace_definition> const& defined_namespaces() { return definitions(); }
void define_longpolling_event(longpolling_event e) { longpolling_events().push_back(e); }
std::vector<longpolling_event> const& defined_longpolling_events() { return longpolling_events(); }

void add_longpolling_events(odoo_namespace& ns, std::vector<longpolling_event> const& events)
{
    for (auto const& e : events) {
        auto const handler = e.handler;
        auto run = [handler](event& session) { return handler(session, session.args()); };
        ns.on(std::string(e.name), bound_handler{run, e.own_adapter}, e.type);
    }
}

event::event(std::shared_ptr<sio::socket> s, std::string name, sio::arguments a, std::optional<orm::session> session,
             services const& shared, std::chrono::steady_clock::duration timeout, message_board* board,
             adapter const* own_adapter)
    : socket_(std::move(s)), name_(std::move(name)), arguments_(std::move(a)), session_(std::move(session)),
      shared_(shared), deadline_(std::chrono::steady_clock::now() + timeout), timeout_(timeout), board_(board),
      own_adapter_(own_adapter)
{
}

orm::database& event::database() const
{
    auto* all = shared_.databases;
    if (!all || all->all().empty())
        throw service_unavailable("this server serves no database");
    if (!session_) {
        if (all->all().size() != 1)
            throw authentication_error("without a session, the only database served is used: there are several");
        return *all->all().begin()->second;
    }
    auto* db = all->find(session_->db);
    if (!db)
        throw authentication_error("the session's database '" + session_->db + "' is not served by this server");
    return *db;
}

boost::asio::awaitable<json::array> event::listen(json::array args)
{
    if (!own_adapter_)
        throw std::logic_error("event '" + name_ + "' was declared without an adapter: listen(adapter, args)");
    return listen(*own_adapter_, std::move(args));
}

boost::asio::awaitable<json::array> event::listen(adapter const& a, json::array args)
{
    if (!board_)
        throw service_unavailable("no PostgreSQL adapters here (socketio_listen_channel)");
    auto const db = database().name();
    listened_ = &a;
    taken_.clear();
    // A client that left stops its listen within a second. (g++ 12: no temporary with a
    // destructor inside a co_await expression; name it first.)
    auto const until = std::chrono::steady_clock::now() + timeout_;
    std::function<bool()> still_there = [s = socket_] { return s->connected(); };
    taken_ = co_await board_->wait(db, a, args, until, std::move(still_there));
    co_return taken_;
}

boost::asio::awaitable<bool> event::secure_emit(std::string_view event_name, json::value data)
{
    // Each co_await in a statement of its own (g++ 12 mishandles them inside argument lists).
    auto executor = co_await boost::asio::this_coro::executor;
    auto timer = std::make_shared<boost::asio::steady_timer>(executor, std::chrono::steady_clock::now() + timeout_);
    auto acknowledged = std::make_shared<bool>(false);
    auto const id = socket_->emit_with_ack(
        event_name, {{std::move(data)}, {}},
        [timer, acknowledged](sio::arguments) {
            *acknowledged = true;
            timer->cancel();
        },
        [timer] { timer->cancel(); }); // the client left: no ack will come
    if (!id)
        co_return false; // it had left already
    co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (!*acknowledged)
        socket_->forget_ack(*id); // out of time: the socket keeps no entry for it
    if (*acknowledged && listened_ && board_)
        board_->consume(database().name(), listened_->channel, taken_);
    co_return *acknowledged;
}

boost::asio::awaitable<void> event::notify(std::string_view channel, json::value values) const
{
    if (!board_)
        throw service_unavailable("no PostgreSQL adapters here (socketio_listen_channel)");
    auto& db = database();
    auto c = co_await db.writer().acquire(deadline_);
    std::string const sql = "SELECT pg_notify($1, $2)";
    orm::pg::parameters params{board_->listen_channel(),
                               json::serialize(json::object{{"channel", channel}, {"values", std::move(values)}})};
    co_await c.query(sql, std::move(params));
    co_await c.commit();
}

std::int64_t event::uid() const
{
    if (!session_)
        throw authentication_error("this event needs a logged-in Odoo session");
    return session_->uid;
}

orm::model event::model(std::string name) const
{
    if (!session_)
        return orm::model(database(), std::move(name), deadline_, {}, orm::caller::public_user());
    return orm::model(database(), std::move(name), deadline_, session_->context, orm::caller::user(session_->uid, {}));
}

void event::emit(std::string_view event_name, json::array args) const
{
    socket_->emit(event_name, {std::move(args), {}});
}

odoo_namespace::odoo_namespace(std::string path, boost::asio::any_io_executor executor, services const& shared,
                               orm::session_store& sessions, std::chrono::steady_clock::duration timeout,
                               message_board* board)
    : name_space(std::move(path)), executor_(std::move(executor)), shared_(shared), sessions_(sessions),
      timeout_(timeout), board_(board)
{
}

void odoo_namespace::on(std::string event_name, bound_handler handler, event_type type)
{
    if (type == event_type::connect)
        connect_handlers_.emplace_back(std::move(event_name), std::move(handler));
    else if (type == event_type::disconnect)
        disconnect_handlers_.emplace_back(std::move(event_name), std::move(handler));
    else
        handlers_[std::move(event_name)] = std::move(handler);
}

void odoo_namespace::on_connect(sio::socket& s)
{
    auto state = std::make_unique<odoo_socket>();
    // The CONNECT auth payload's session_id first (a client of another origin), then the cookie.
    state->session_id = s.auth().is_object() ? text_of(s.auth().get_object().if_contains("session_id")) : std::nullopt;
    if (!state->session_id)
        state->session_id = find_cookie(s.cookie(), "session_id");
    s.attached = std::move(state);
    for (auto const& [name, handler] : connect_handlers_)
        spawn(s, name, handler, {}, {});
}

void odoo_namespace::on_disconnect(sio::socket& s, std::string_view reason)
{
    for (auto const& [name, handler] : disconnect_handlers_)
        spawn(s, name, handler, {{reason}, {}}, {});
}

void odoo_namespace::spawn(sio::socket& s, std::string event_name, bound_handler handler, sio::arguments a,
                           sio::ack reply)
{
    boost::asio::co_spawn(executor_,
                          run(s.shared_from_this(), std::move(event_name), std::move(handler), std::move(a), std::move(reply)),
                          boost::asio::detached);
}

void odoo_namespace::on_event(sio::socket& s, std::string const& event_name, sio::arguments a, sio::ack reply)
{
    if (event_name == "session_id") {
        // The seed's way to authenticate after connecting: the event names the session.
        auto& state = state_of(s);
        state.session_id = a.args.empty() ? std::nullopt : text_of(&a.args.front());
        ++state.generation;
        state.looked_up = false;
        state.session.reset();
        spawn(s, event_name, {}, std::move(a), std::move(reply));
        return;
    }
    auto const found = handlers_.find(event_name);
    if (found == handlers_.end()) {
        log::debug("socketio", path(), ": no handler for event '", event_name, "'");
        return;
    }
    spawn(s, event_name, found->second, std::move(a), std::move(reply));
}

boost::asio::awaitable<void> odoo_namespace::run(std::shared_ptr<sio::socket> s, std::string event_name,
                                                 bound_handler handler, sio::arguments a, sio::ack reply)
{
    json::array result;
    try {
        auto& state = state_of(*s);
        while (!state.looked_up) {
            // A lookup that a newer session_id event overtook is dropped (it must not set the
            // session after the newer one's), and this handler looks the newer one up.
            auto const generation = state.generation;
            // Not a co_await inside ?: (g++ 12 miscompiles the temporaries of that).
            std::optional<orm::session> found;
            if (state.session_id) {
                auto id = *state.session_id;
                found = co_await sessions_.find(std::move(id));
            }
            if (generation == state.generation) {
                state.session = std::move(found);
                state.looked_up = true;
            }
        }
        if (!handler.run) {
            result.emplace_back(state.session ? json::value(state.session->uid) : json::value(false));
        }
        else {
            event e(s, event_name, std::move(a), state.session, shared_, timeout_, board_, handler.own_adapter);
            result = co_await handler.run(e);
        }
    }
    catch (...) {
        auto const error = describe_error(std::current_exception());
        if (error.unexpected)
            log::error("socketio", path(), ": event '", event_name, "' failed: ", error.message);
        result = json::array{json::object{{"error", error.message}}};
    }
    if (reply)
        reply({std::move(result), {}});
}

} // namespace lp::socketio
