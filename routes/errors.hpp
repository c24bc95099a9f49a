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

/// 413: the request's JSON would take more memory than its size allows once parsed.
struct payload_too_large : http_error {
    explicit payload_too_large(std::string const& message)
        : http_error(413, "werkzeug.exceptions.RequestEntityTooLarge", message) {}
};

/// 408: the handler did not answer before its deadline (longpolling_timeout).
struct request_timeout : http_error {
    explicit request_timeout(std::string const& message)
        : http_error(408, "werkzeug.exceptions.RequestTimeout", message) {}
};

/// An error the client should retry after a while (the reply's Retry-After header).
class retryable_error : public http_error {
public:
    retryable_error(unsigned status, std::string name, std::string const& message, std::chrono::seconds retry_after)
        : http_error(status, std::move(name), message), retry_after_(retry_after) {}

    std::chrono::seconds retry_after() const noexcept { return retry_after_; }

private:
    std::chrono::seconds retry_after_;
};

/// 429: the client (its address, or the POS it writes for) is over a rate limit; retry later.
struct too_many_requests : retryable_error {
    too_many_requests(std::string const& message, std::chrono::seconds retry_after)
        : retryable_error(429, "werkzeug.exceptions.TooManyRequests", message, retry_after) {}
};

/// 503: the server is overloaded or a dependency (PostgreSQL) is unavailable; retry later.
struct service_unavailable : retryable_error {
    explicit service_unavailable(std::string const& message,
                                 std::chrono::seconds retry_after = std::chrono::seconds(1))
        : retryable_error(503, "werkzeug.exceptions.ServiceUnavailable", message, retry_after) {}
};

} // namespace lp
