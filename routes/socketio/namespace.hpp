// The one header a Socket.IO namespace author includes (the seed's namespace classes): event
// handlers are coroutines registered by event name; they see the Odoo session (from the
// session_id cookie, the CONNECT auth payload's "session_id", or a "session_id" event), read
// the database through model() as that user, emit, and return the client's ack.
//
//   LONGPOLLING_NAMESPACE(my_namespace, "/mynamespace")       // logs Add namespace: '/mynamespace'
//   {
//       ns.on("whoami", [](lp::socketio::event& e) -> boost::asio::awaitable<boost::json::array> {
//           co_return boost::json::array{e.authenticated() ? boost::json::value(e.uid()) : false};
//       });
//   }
//
// web_longpolling's built-in namespace "/namespace" gets its events one by one, from any file
// (the seed's `@on('signal', adapterClass=MyAdapter)`); the handler gets the session first:
//
//   LONGPOLLING_ON(my_function, "signal", my_adapter)      // eventtype: on (the default)
//   {
//       boost::json::array args{session.uid()};
//       auto messages = co_await session.listen(std::move(args));   // my_adapter's channel
//       ...
//   }
#pragma once

#include "orm_bridge/model.hpp"
#include "orm_bridge/session.hpp"
#include "routes/services.hpp"
#include "routes/socketio/adapters.hpp"
#include "routes/socketio/socketio_server.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace lp::socketio {

/// What an event handler sees. Lifetime: the framework keeps it (and the socket object)
/// alive until the handler's coroutine has completed, even if the client leaves meanwhile
/// (emits then do nothing).
class event {
public:
    event(std::shared_ptr<sio::socket> s, std::string name, sio::arguments a, std::optional<orm::session> session,
          services const& shared, std::chrono::steady_clock::duration timeout, message_board* board = nullptr,
          adapter const* own_adapter = nullptr);

    std::string const& name() const { return name_; }
    /// The event's arguments after its name (placeholders where binary attachments go).
    boost::json::array const& args() const { return arguments_.args; }
    std::vector<std::string> const& attachments() const { return arguments_.attachments; }
    sio::socket& socket() const { return *socket_; }

    /// True with a valid, logged-in Odoo session.
    bool authenticated() const { return session_.has_value(); }
    /// The session's user. Errors: authentication_error without a session.
    std::int64_t uid() const;
    /// Model `name`, read-only, as the session's user (Odoo's public user without a session),
    /// through the same pooled cursors as the routes; no cursor is held between calls.
    /// Errors: authentication_error when the session's database is not served here;
    /// service_unavailable without a database.
    orm::model model(std::string name) const;

    /// Emits on this socket (nothing once it has left).
    void emit(std::string_view event_name, boost::json::array args) const;

    /// Waits cooperatively until `a.get` takes some of the notified messages of its channel
    /// (on the session's database, else the only one served); returns them. Holds no cursor.
    /// Empty when the client left or longpolling_timeout passed first.
    boost::asio::awaitable<boost::json::array> listen(adapter const& a, boost::json::array args = {});
    /// The same with the adapter the event was declared with (LONGPOLLING_ON).
    /// Errors: std::logic_error when it was declared without one.
    boost::asio::awaitable<boost::json::array> listen(boost::json::array args = {});
    /// Emits `data` with an ack; when the client acknowledges (within longpolling_timeout),
    /// the messages of the last listen are consumed. Returns whether it was acknowledged.
    boost::asio::awaitable<bool> secure_emit(std::string_view event_name, boost::json::value data);
    /// Sends a notification to every listener of adapter channel `channel` (NOTIFY on
    /// socketio_listen_channel through the database's writer connection).
    boost::asio::awaitable<void> notify(std::string_view channel, boost::json::value values) const;

private:
    orm::database& database() const;

    std::shared_ptr<sio::socket> socket_;
    std::string name_;
    sio::arguments arguments_;
    std::optional<orm::session> session_;
    services const& shared_;
    std::chrono::steady_clock::time_point deadline_;
    std::chrono::steady_clock::duration timeout_;
    message_board* board_;
    adapter const* own_adapter_;
    adapter const* listened_ = nullptr;
    boost::json::array taken_;
};

/// An event handler: a coroutine; what it returns are the ack's arguments, sent when the
/// client asked for an ack. An exception acks [{"error": message}] (and is logged when unexpected).
using event_handler = boost::asio::awaitable<boost::json::array> (*)(event&);

/// When a web_longpolling event runs (the seed's eventtype).
enum class event_type {
    connect,    ///< as a socket joins the namespace (once its session is known)
    on,         ///< each time a client emits it
    disconnect, ///< after a socket left (args: [reason]; emits do nothing then)
};

/// A handler as the namespace keeps it, with the adapter `event::listen(args)` uses.
struct bound_handler {
    std::function<boost::asio::awaitable<boost::json::array>(event&)> run;
    adapter const* own_adapter = nullptr;
};

/// A namespace of event handlers with Odoo session auth.
class odoo_namespace final : public sio::name_space {
public:
    odoo_namespace(std::string path, boost::asio::any_io_executor executor, services const& shared,
                   orm::session_store& sessions, std::chrono::steady_clock::duration timeout,
                   message_board* board = nullptr);

    /// Runs `handler` for each `event_name` event (the seed's on_<event> method). "connect"
    /// and "disconnect" (Socket.IO's reserved names, which clients cannot send) are the seed's
    /// recv_connect and recv_disconnect: run when a socket joins (once its session is known)
    /// and after it left (args: [reason]; emits do nothing then).
    void on(std::string event_name, event_handler handler)
    {
        auto const type = event_name == "connect"      ? event_type::connect
                          : event_name == "disconnect" ? event_type::disconnect
                                                       : event_type::on;
        on(std::move(event_name), bound_handler{handler, nullptr}, type);
    }
    /// Adds a handler of `type`; connect and disconnect ones add up (each runs), an "on" one
    /// replaces the earlier handler of `event_name`.
    void on(std::string event_name, bound_handler handler, event_type type);

    void on_connect(sio::socket& s) override;
    void on_event(sio::socket& s, std::string const& event_name, sio::arguments a, sio::ack reply) override;
    void on_disconnect(sio::socket& s, std::string_view reason) override;

private:
    boost::asio::awaitable<void> run(std::shared_ptr<sio::socket> s, std::string event_name, bound_handler handler,
                                     sio::arguments a, sio::ack reply);
    /// Runs `handler` (none: only the session_id lookup) as a coroutine of its own.
    void spawn(sio::socket& s, std::string event_name, bound_handler handler, sio::arguments a, sio::ack reply);

    boost::asio::any_io_executor executor_;
    services const& shared_;
    orm::session_store& sessions_;
    std::chrono::steady_clock::duration timeout_;
    message_board* board_;
    std::unordered_map<std::string, bound_handler> handlers_; ///< the "on" events
    std::vector<std::pair<std::string, bound_handler>> connect_handlers_, disconnect_handlers_;
};

/// A namespace declared with LONGPOLLING_NAMESPACE: its path, what adds its handlers, and its
/// route set ("examples" are off unless longpolling_examples).
struct namespace_definition {
    std::string_view path;
    void (*setup)(odoo_namespace& ns);
    std::string_view route_set;
};
void define_namespace(namespace_definition definition);
/// Every namespace declared in the program, in registration order.
std::vector<namespace_definition> const& defined_namespaces();

struct namespace_registrar {
    explicit namespace_registrar(namespace_definition definition) { define_namespace(definition); }
};

/// web_longpolling's built-in namespace, which LONGPOLLING_ON events go to.
inline constexpr std::string_view longpolling_namespace_path = "/namespace";

/// A web_longpolling event handler: the session (the event) first, then the client's arguments.
using longpolling_handler = boost::asio::awaitable<boost::json::array> (*)(event& session,
                                                                           boost::json::array const& args);

/// One `on(event, adapterClass, eventtype)` declaration of web_longpolling.
struct longpolling_event {
    std::string_view name;
    longpolling_handler handler;
    adapter const* own_adapter = nullptr;
    event_type type = event_type::on;
    std::string_view route_set;
};
/// LONGPOLLING_ON's optional arguments, in any order: an adapter, an event_type.
inline void apply_option(longpolling_event& e, adapter const& a) { e.own_adapter = &a; }
inline void apply_option(longpolling_event& e, event_type t) { e.type = t; }
template <class... Options>
longpolling_event make_longpolling_event(std::string_view name, longpolling_handler handler, std::string_view set,
                                         Options const&... options)
{
    longpolling_event e{name, handler, nullptr, event_type::on, set};
    (apply_option(e, options), ...);
    return e;
}
void define_longpolling_event(longpolling_event e);
/// Every LONGPOLLING_ON event of the program, in registration order.
std::vector<longpolling_event> const& defined_longpolling_events();
/// Adds `events` (those of an enabled route set) to web_longpolling's namespace `ns`.
void add_longpolling_events(odoo_namespace& ns, std::vector<longpolling_event> const& events);

struct longpolling_event_registrar {
    explicit longpolling_event_registrar(longpolling_event e) { define_longpolling_event(e); }
};

} // namespace lp::socketio

#ifdef LP_ROUTE_SET
#define LP_NAMESPACE_SET LP_ROUTE_SET
#else
#define LP_NAMESPACE_SET ""
#endif
#define LP_NAMESPACE_CONCAT_INNER(a, b) a##b
#define LP_NAMESPACE_CONCAT(a, b) LP_NAMESPACE_CONCAT_INNER(a, b)

/// Declares namespace `name` at `path` (served at socketio_path); the body that follows adds
/// its handlers to `lp::socketio::odoo_namespace& ns`.
#define LONGPOLLING_NAMESPACE(name, path)                                                           \
    static void name(::lp::socketio::odoo_namespace& ns);                                          \
    static ::lp::socketio::namespace_registrar const LP_NAMESPACE_CONCAT(lp_namespace_registrar_, \
                                                                         __LINE__){                \
        ::lp::socketio::namespace_definition{path, &name, LP_NAMESPACE_SET}};                      \
    static void name([[maybe_unused]] ::lp::socketio::odoo_namespace& ns)

/// Declares handler `name` of web_longpolling's "/namespace" for event `event_name` (the
/// seed's `@on(event_name, adapterClass, eventtype)`); optional: an lp::socketio::adapter
/// (what `session.listen(args)` uses) and an lp::socketio::event_type (on by default). The
/// body that follows sees `lp::socketio::event& session` and `boost::json::array const& args`.
#define LONGPOLLING_ON(name, event_name, ...)                                                              \
    static ::boost::asio::awaitable<::boost::json::array> name(::lp::socketio::event& session,              \
                                                               ::boost::json::array const& args);           \
    static ::lp::socketio::longpolling_event_registrar const LP_NAMESPACE_CONCAT(lp_longpolling_event_,    \
                                                                                 __LINE__){                 \
        ::lp::socketio::make_longpolling_event(event_name, &name, LP_NAMESPACE_SET __VA_OPT__(, ) __VA_ARGS__)}; \
    static ::boost::asio::awaitable<::boost::json::array> name([[maybe_unused]] ::lp::socketio::event& session, \
                                                               [[maybe_unused]] ::boost::json::array const& args)
