// One PostgreSQL connection driven by libpq's non-blocking API on the server's one thread.
#pragma once

#include "orm_bridge/pg_error.hpp"
#include "orm_bridge/pg_result.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lp::orm::pg {

/// libpq connection keywords and values: host (a socket directory) or hostaddr (an IP
/// address, so libpq never resolves a name on our thread), port, dbname, user, password,
/// application_name, options...
using connection_parameters = std::vector<std::pair<std::string, std::string>>;

/// Parameters of a statement, in text format; nullopt is SQL NULL.
using parameters = std::vector<std::optional<std::string>>;

/// A NOTIFY received on this connection.
struct notification {
    std::string channel;
    std::string payload;
    int sender_pid = 0;
};

/// An asynchronous libpq connection. Every wait is on the socket through Asio; nothing blocks.
///
/// Errors: every operation throws pg::error; after one whose connection_unusable() is true
/// the connection must be dropped.
/// Cancellation: an operation cancelled by its caller throws errc::cancelled and leaves the
/// connection unusable (a statement may still be running).
/// Lifetime: one operation at a time; the descriptor is released before PQfinish, so the fd
/// is closed exactly once and never watched after it is closed.
class connection {
public:
    using clock = std::chrono::steady_clock;

    explicit connection(boost::asio::any_io_executor executor);
    ~connection();
    connection(connection const&) = delete;
    connection& operator=(connection const&) = delete;

    /// Connects and sets the connection non-blocking.
    boost::asio::awaitable<void> connect(connection_parameters parameters, clock::time_point deadline);

    /// Runs one statement with parameters (extended protocol, text results).
    /// Errors: errc::query_failed with the SQLSTATE when PostgreSQL refuses it.
    boost::asio::awaitable<result> query(std::string sql, parameters params, clock::time_point deadline);

    /// Runs one or more statements without parameters (simple protocol); returns the last result.
    boost::asio::awaitable<result> execute(std::string sql, clock::time_point deadline);

    /// Waits until the server sends something (a notification), then reads it.
    boost::asio::awaitable<void> wait_for_input(clock::time_point deadline);

    /// The next notification already received, if any.
    std::optional<notification> take_notification();

    /// Reads whatever the server has sent, without waiting. False when that shows the
    /// connection is broken (e.g. the server closed it while the connection was idle).
    bool check_alive();

    /// Connected and not known to be broken.
    bool ok() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }
    PGTransactionStatusType transaction_status() const { return conn_ ? PQtransactionStatus(conn_) : PQTRANS_UNKNOWN; }
    int backend_pid() const { return conn_ ? PQbackendPID(conn_) : 0; }

    /// Closes now (releases the descriptor, then PQfinish). Safe to call twice.
    void close() noexcept;

private:
    enum class direction { read, write };
    boost::asio::awaitable<void> wait(direction d, clock::time_point deadline);
    boost::asio::awaitable<void> flush(clock::time_point deadline);
    boost::asio::awaitable<result> collect(clock::time_point deadline);
    void follow_socket();
    [[noreturn]] void fail(errc code, std::string const& what);

    boost::asio::any_io_executor executor_;
    PGconn* conn_ = nullptr;
    boost::asio::posix::stream_descriptor socket_;
    int watched_fd_ = -1;
};

} // namespace lp::orm::pg
