// The errors a handler (or the framework) raises, each with the HTTP status it maps to.
// Anything else a handler throws becomes a 500 and is logged.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>

namespace lp {

/// Base of the errors that carry their own HTTP status and an Odoo-style exception name
/// (shown to JSON-RPC clients as error.data.name).
class http_error : public std::runtime_error {
public:
    http_error(unsigned status, std::string name, std::string const& message)
        : std::runtime_error(message), status_(status), name_(std::move(name)) {}

    unsigned status() const noexcept { return status_; }
    std::string const& name() const noexcept { return name_; }

private:
    unsigned status_;
    std::string name_;
};

/// 400: the request's parameters, JSON or domain are wrong; the message says what.
struct bad_request : http_error {
    explicit bad_request(std::string const& message)
        : http_error(400, "werkzeug.exceptions.BadRequest", message) {}
};

/// 401: the route needs a logged-in Odoo session and the request has none that is valid
/// (the seed's AuthenticationError).
struct authentication_error : http_error {
    explicit authentication_error(std::string const& message = "Session expired or not logged in")
        : http_error(401, "odoo.http.SessionExpiredException", message) {}
};

/// 404: nothing is served at this path.
struct not_found : http_error {
    explicit not_found(std::string const& message)
        : http_error(404, "werkzeug.exceptions.NotFound", message) {}
};

/// 408: the handler did not answer before its deadline (longpolling_timeout).
struct request_timeout : http_error {
    explicit request_timeout(std::string const& message)
        : http_error(408, "werkzeug.exceptions.RequestTimeout", message) {}
};

/// 503: the server is overloaded or a dependency (PostgreSQL) is unavailable; retry later.
class service_unavailable : public http_error {
public:
    explicit service_unavailable(std::string const& message,
                                 std::chrono::seconds retry_after = std::chrono::seconds(1))
        : http_error(503, "werkzeug.exceptions.ServiceUnavailable", message), retry_after_(retry_after) {}

    std::chrono::seconds retry_after() const noexcept { return retry_after_; }

private:
    std::chrono::seconds retry_after_;
};

} // namespace lp
