// What a handler sees of the request it serves.
#pragma once

#include "orm_bridge/model.hpp"
#include "orm_bridge/session.hpp"
#include "routes/deferred_reply.hpp"
#include "routes/errors.hpp"
#include "routes/services.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lp {

/// One request, as a handler reads it: its parameters (path variables, then the query or
/// JSON-RPC params, then the `data` object of the original GET form), its session, and its
/// deadline.
///
/// Lifetime: the framework keeps it alive until the handler's coroutine has completed.
class request {
public:
    using clock = std::chrono::steady_clock;

    request(std::string method, std::string path, boost::json::object params,
            std::optional<std::string> session_id, clock::duration timeout);

    std::string const& method() const { return method_; }
    std::string const& path() const { return path_; }

    /// All parameters, by name.
    boost::json::object const& params() const { return params_; }

    /// True when the request has a parameter of this name.
    bool has_param(std::string_view name) const { return params_.contains(name); }

    /// Parameter `name` as T: std::string, std::int64_t, double, bool or boost::json::value.
    /// Text such as a query-string "42" converts to numbers and "true"/"false" to bool.
    /// Errors: bad_request (400) naming the parameter when it is missing or has another type.
    template <class T>
    T param(std::string_view name) const;

    /// Like param<T>(name), but `fallback` when the parameter is absent.
    template <class T>
    T param(std::string_view name, T fallback) const
    {
        return has_param(name) ? param<T>(name) : fallback;
    }

    /// The session id the client sent (cookie, query or JSON-RPC param), if any.
    std::optional<std::string> const& session_id() const { return session_id_; }

    /// True when the request carries a valid, logged-in session.
    bool authenticated() const { return session_.has_value(); }

    /// The logged-in session. Errors: authentication_error (401) when there is none.
    orm::session const& session() const;
    std::int64_t uid() const { return session().uid; }
    std::string const& db() const { return session().db; }
    boost::json::object const& context() const { return session().context; }

    /// The server's longpolling_timeout (the seed's get_timeout()).
    clock::duration timeout() const { return timeout_; }

    /// When the framework stops waiting for this handler and answers 408.
    clock::time_point deadline() const { return deadline_; }

    /// Model `name` ("res.users"), read-only, as the one who asks (the seed's
    /// `request.model('res.users').read(...)`): the session's user, with their Odoo access rights,
    /// record rules and companies (the `cids` cookie); without a session (a public route), Odoo's
    /// public user on database(). `request.model(name).sudo()` reads as the superuser: it
    /// bypasses every right and rule, so only use it for data every caller may see.
    /// Errors: authentication_error (401) when the session's database is not served by this
    /// server; as database() without a session.
    orm::model model(std::string name) const;

    /// Raw read-only, parameterised SQL on the logged-in user's database. Like Odoo's cursor,
    /// it bypasses access rights and record rules: a handler must not hand its rows to a caller
    /// who may not see them.
    /// Errors: authentication_error (401) without a valid session, or when the session's
    /// database is not served by this server.
    orm::read_cursor cursor() const;

    /// The companies of the `cids` cookie (set by the framework).
    void attach_companies(std::vector<std::int64_t> ids) { companies_ = std::move(ids); }

    /// Makes this request's reply a deferred one: the handler hands the slot to whoever will
    /// resolve it (the bus) and returns at once; its own return value is then ignored and the
    /// connection waits on the slot, holding no coroutine. Json routes only.
    std::shared_ptr<deferred_reply> defer();
    std::shared_ptr<deferred_reply> const& deferred() const { return deferred_; }

    /// The client's IP address: the peer's, or X-Forwarded-For's last entry with proxy_mode.
    std::string const& client_address() const { return client_address_; }
    void attach_client_address(std::string address) { client_address_ = std::move(address); }

    /// Set by the framework once the session store has found the session.
    void attach_session(orm::session s) { session_ = std::move(s); }

    /// The server's databases, bus and settings.
    lp::services const& services() const { return *services_; }

    /// The database this request concerns: the session's, else the `db` parameter, else the
    /// only one served. Errors: bad_request naming the problem (none or several served,
    /// unknown name); authentication_error when the session's database is not served.
    orm::database& database() const;

    /// Set by the framework.
    void attach_services(lp::services const* s) { services_ = s ? s : &no_services(); }

private:
    boost::json::value const& require(std::string_view name) const;

    std::string method_;
    std::string path_;
    boost::json::object params_;
    std::optional<std::string> session_id_;
    std::string client_address_;
    orm::database& session_database() const;

    std::optional<orm::session> session_;
    std::optional<std::vector<std::int64_t>> companies_;
    static lp::services const& no_services();
    std::shared_ptr<deferred_reply> deferred_;
    lp::services const* services_ = &no_services();
    clock::duration timeout_;
    clock::time_point deadline_;
};

/// The `cids` cookie: company ids separated by ',' (Odoo 13-16) or '-' (17+).
/// Errors: bad_request naming the cookie when it is anything else.
std::vector<std::int64_t> parse_company_ids(std::string_view cookie);

template <>
boost::json::value request::param<boost::json::value>(std::string_view name) const;
template <>
std::string request::param<std::string>(std::string_view name) const;
template <>
std::int64_t request::param<std::int64_t>(std::string_view name) const;
template <>
double request::param<double>(std::string_view name) const;
template <>
bool request::param<bool>(std::string_view name) const;

} // namespace lp
