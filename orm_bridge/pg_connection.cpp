#include "orm_bridge/pg_connection.hpp"

#include "orm_bridge/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <poll.h>

namespace lp::orm::pg {
namespace {
namespace asio = boost::asio;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string trimmed(char const* message)
{
    std::string text = message ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    return text;
}

void log_notice(void*, PGresult const* r)
{
    log::debug("postgresql", trimmed(PQresultErrorMessage(r)));
}
} // namespace

connection::connection(asio::any_io_executor executor)
    : executor_(std::move(executor)), socket_(executor_)
{
}

connection::~connection() { close(); }

void connection::close() noexcept
{
    // Release, never close: PQfinish closes the fd, and Asio must stop watching it first,
    // or a new connection reusing the number could receive this one's events.
    if (socket_.is_open())
        socket_.release();
    watched_fd_ = -1;
    if (conn_) {
        PQfinish(conn_);
        conn_ = nullptr;
    }
}

void connection::fail(errc code, std::string const& what)
{
    auto message = what + ": " + trimmed(conn_ ? PQerrorMessage(conn_) : "out of memory");
    // libpq may have closed the socket itself: stop watching it now.
    if (conn_ && PQsocket(conn_) < 0 && socket_.is_open()) {
        socket_.release();
        watched_fd_ = -1;
    }
    throw error(code, message);
}

void connection::follow_socket()
{
    // libpq may open a new socket on each PQconnectPoll (SSL retry, next host): follow it.
    int const fd = conn_ ? PQsocket(conn_) : -1;
    if (fd == watched_fd_)
        return;
    if (socket_.is_open())
        socket_.release();
    watched_fd_ = fd;
    if (fd >= 0)
        socket_.assign(fd);
}

asio::awaitable<void> connection::wait(direction d, clock::time_point deadline)
{
    using namespace asio::experimental::awaitable_operators;
    if (!socket_.is_open())
        throw error(errc::connection_lost, "the PostgreSQL connection has no socket");
    asio::steady_timer timer(executor_, deadline);
    auto const what = d == direction::read ? asio::posix::stream_descriptor::wait_read
                                           : asio::posix::stream_descriptor::wait_write;
    auto outcome = co_await (socket_.async_wait(what, use_tuple) || timer.async_wait(use_tuple));
    auto state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none)
        throw error(errc::cancelled, "PostgreSQL operation cancelled");
    if (outcome.index() == 1)
        throw error(errc::timeout, "PostgreSQL did not answer in time");
    auto [ec] = std::get<0>(outcome);
    if (ec)
        throw error(errc::connection_lost, "waiting on the PostgreSQL socket failed: " + ec.message());
}

asio::awaitable<void> connection::connect(connection_parameters parameters, clock::time_point deadline)
{
    close();
    std::vector<char const*> keywords;
    std::vector<char const*> values;
    for (auto const& [k, v] : parameters) {
        keywords.push_back(k.c_str());
        values.push_back(v.c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectStartParams(keywords.data(), values.data(), 0);
    if (!conn_ || PQstatus(conn_) == CONNECTION_BAD)
        fail(errc::connection_failed, "cannot connect to PostgreSQL");
    PQsetNoticeReceiver(conn_, &log_notice, nullptr);

    // libpq's documented loop: start as if the last poll asked to write.
    auto status = PGRES_POLLING_WRITING;
    for (;;) {
        follow_socket();
        if (status == PGRES_POLLING_OK)
            break;
        if (status == PGRES_POLLING_FAILED)
            fail(errc::connection_failed, "cannot connect to PostgreSQL");
        co_await wait(status == PGRES_POLLING_READING ? direction::read : direction::write, deadline);
        status = PQconnectPoll(conn_);
    }
    if (PQsetnonblocking(conn_, 1) != 0)
        fail(errc::connection_failed, "cannot make the PostgreSQL connection non-blocking");
}

asio::awaitable<void> connection::flush(clock::time_point deadline)
{
    // Statements are small, so waiting for writability is enough; reading while we wait
    // (as libpq suggests) keeps the server from blocking on its own output.
    for (;;) {
        int const pending = PQflush(conn_);
        if (pending == 0)
            co_return;
        if (pending < 0)
            fail(errc::connection_lost, "sending to PostgreSQL failed");
        co_await wait(direction::write, deadline);
        if (!PQconsumeInput(conn_))
            fail(errc::connection_lost, "reading from PostgreSQL failed");
    }
}

asio::awaitable<result> connection::collect(clock::time_point deadline)
{
    result last;
    std::optional<error> failure;
    for (;;) {
        while (PQisBusy(conn_)) {
            co_await wait(direction::read, deadline);
            if (!PQconsumeInput(conn_))
                fail(errc::connection_lost, "reading from PostgreSQL failed");
        }
        // Read until libpq returns null, even after an error: the connection is then ready
        // for the next statement.
        PGresult* r = PQgetResult(conn_);
        if (!r)
            break;
        result current(r);
        switch (PQresultStatus(r)) {
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
        case PGRES_EMPTY_QUERY:
            last = std::move(current);
            break;
        case PGRES_FATAL_ERROR:
        case PGRES_NONFATAL_ERROR:
            if (!failure) {
                char const* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
                failure.emplace(errc::query_failed, trimmed(PQresultErrorMessage(r)), state ? state : "");
            }
            break;
        default:
            failure.emplace(errc::protocol, "unexpected PostgreSQL result: " + std::string(PQresStatus(PQresultStatus(r))));
            break;
        }
    }
    if (PQstatus(conn_) == CONNECTION_BAD)
        fail(errc::connection_lost, "the PostgreSQL connection was lost");
    if (failure)
        throw *failure;
    co_return last;
}

asio::awaitable<result> connection::query(std::string sql, parameters params, clock::time_point deadline)
{
    if (!ok())
        throw error(errc::connection_lost, "the PostgreSQL connection is closed");
    std::vector<char const*> values;
    values.reserve(params.size());
    for (auto const& p : params)
        values.push_back(p ? p->c_str() : nullptr);
    if (!PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                           nullptr, 0))
        fail(PQstatus(conn_) == CONNECTION_BAD ? errc::connection_lost : errc::query_failed,
             "cannot send the statement");
    co_await flush(deadline);
    auto r = co_await collect(deadline);
    co_return r;
}

asio::awaitable<result> connection::execute(std::string sql, clock::time_point deadline)
{
    if (!ok())
        throw error(errc::connection_lost, "the PostgreSQL connection is closed");
    if (!PQsendQuery(conn_, sql.c_str()))
        fail(PQstatus(conn_) == CONNECTION_BAD ? errc::connection_lost : errc::query_failed,
             "cannot send the statement");
    co_await flush(deadline);
    auto r = co_await collect(deadline);
    co_return r;
}

asio::awaitable<void> connection::wait_for_input(clock::time_point deadline)
{
    if (!ok())
        throw error(errc::connection_lost, "the PostgreSQL connection is closed");
    co_await wait(direction::read, deadline);
    if (!PQconsumeInput(conn_))
        fail(errc::connection_lost, "reading from PostgreSQL failed");
}

std::optional<notification> connection::take_notification()
{
    if (!conn_)
        return std::nullopt;
    PGnotify* n = PQnotifies(conn_);
    if (!n)
        return std::nullopt;
    notification out{n->relname ? n->relname : "", n->extra ? n->extra : "", n->be_pid};
    PQfreemem(n);
    return out;
}

bool connection::check_alive()
{
    if (!ok())
        return false;
    // Non-blocking: reads what is there (e.g. the FATAL a terminated backend sends before
    // closing) and reports EOF as a broken connection. An idle connection has nothing to say,
    // so while the socket stays readable keep reading: the EOF may follow the FATAL message.
    for (int round = 0; round < 4; ++round) {
        if (!PQconsumeInput(conn_) || PQstatus(conn_) == CONNECTION_BAD)
            return false;
        pollfd readable{PQsocket(conn_), POLLIN, 0};
        if (::poll(&readable, 1, 0) <= 0)
            break;
    }
    return true;
}

} // namespace lp::orm::pg
