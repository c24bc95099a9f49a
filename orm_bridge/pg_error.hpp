// Errors of the PostgreSQL layer: an error code, PostgreSQL's SQLSTATE, and its message.
#pragma once

#include <boost/system/error_code.hpp>

#include <stdexcept>
#include <string>

namespace lp::orm::pg {

enum class errc {
    connection_failed = 1, ///< could not connect
    connection_lost,       ///< the connection broke (server restart, network, backend killed)
    query_failed,          ///< PostgreSQL refused the statement (see sqlstate)
    timeout,               ///< the client-side deadline passed
    cancelled,             ///< the caller's coroutine was cancelled mid-operation
    protocol,              ///< an unexpected reply (COPY, several results...)
};

boost::system::error_category const& category() noexcept;
boost::system::error_code make_error_code(errc e) noexcept;

/// A failed PostgreSQL operation.
class error : public std::runtime_error {
public:
    error(errc code, std::string message, std::string sqlstate = {})
        : std::runtime_error(std::move(message)), code_(make_error_code(code)), sqlstate_(std::move(sqlstate)) {}

    boost::system::error_code code() const noexcept { return code_; }
    /// Five-character SQLSTATE ("42P01", "25006"...), empty when PostgreSQL sent none.
    std::string const& sqlstate() const noexcept { return sqlstate_; }

    /// True when the connection cannot be used again: lost, timed out or cancelled mid-query,
    /// or a SQLSTATE of class 08 (connection exception), 57P01-57P03 (shutdown), 25P03
    /// (idle-in-transaction timeout, which ends the session).
    bool connection_unusable() const noexcept;

private:
    boost::system::error_code code_;
    std::string sqlstate_;
};

} // namespace lp::orm::pg

namespace boost::system {
template <>
struct is_error_code_enum<lp::orm::pg::errc> : std::true_type {};
} // namespace boost::system
