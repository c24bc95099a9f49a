// Turns whatever a request's handling raised into the status and message the client gets.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <string>

namespace lp {

/// An error as the client sees it.
struct error_reply {
    unsigned status;          ///< HTTP status: 400, 401, 404, 408, 500, 503...
    std::string name;         ///< Odoo-style exception name, e.g. "werkzeug.exceptions.BadRequest"
    std::string message;      ///< what went wrong, for a person
    std::optional<std::chrono::seconds> retry_after; ///< set for 503
    bool unexpected = false;  ///< true for 500s: worth logging as an error
};

/// Maps an exception (lp::http_error and its kinds keep their status; anything else is a 500)
/// to the reply. Never throws.
error_reply describe_error(std::exception_ptr error) noexcept;

} // namespace lp
