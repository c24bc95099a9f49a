// Test support: a fresh database in the private PostgreSQL cluster that scripts/test starts
// (LP_TEST_PGHOST, LP_TEST_PGPORT, LP_TEST_PGUSER), loaded with etc/demo.sql, dropped at the end.
#pragma once

#include "orm_bridge/database.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace lp::test {

inline std::string env_or_fail(char const* name)
{
    char const* value = std::getenv(name);
    if (!value || !*value)
        throw std::runtime_error(std::string(name) + " is not set: run the PostgreSQL tests through scripts/test");
    return value;
}

/// A blocking admin connection for setting up and inspecting (tests may block; the server may not).
class pg_admin {
public:
    explicit pg_admin(std::string const& dbname = "postgres")
    {
        std::string const conninfo = "host=" + env_or_fail("LP_TEST_PGHOST") + " port=" + env_or_fail("LP_TEST_PGPORT")
                                   + " user=" + env_or_fail("LP_TEST_PGUSER") + " dbname=" + dbname;
        conn_ = PQconnectdb(conninfo.c_str());
        if (PQstatus(conn_) != CONNECTION_OK)
            throw std::runtime_error("admin connection failed: " + std::string(PQerrorMessage(conn_)));
    }
    ~pg_admin() { PQfinish(conn_); }
    pg_admin(pg_admin const&) = delete;

    /// Runs `sql` and returns the first column of the first row ("" when there is none).
    std::string exec(std::string const& sql)
    {
        PGresult* r = PQexec(conn_, sql.c_str());
        auto const status = PQresultStatus(r);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            std::string message = PQresultErrorMessage(r);
            PQclear(r);
            throw std::runtime_error("admin query failed: " + message + " in: " + sql);
        }
        std::string value = PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "";
        PQclear(r);
        return value;
    }

private:
    PGconn* conn_ = nullptr;
};

/// A database of its own for one test suite.
class test_database {
public:
    explicit test_database(std::string const& prefix, bool with_demo_data = true)
        : name_(prefix + "_" + std::to_string(getpid()))
    {
        pg_admin admin;
        admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
        admin.exec("CREATE DATABASE " + name_);
        if (with_demo_data) {
            std::ifstream file(env_or_fail("LP_SOURCE_DIR") + "/etc/demo.sql");
            std::stringstream sql;
            sql << file.rdbuf();
            pg_admin(name_).exec(sql.str());
        }
    }
    ~test_database()
    {
        try {
            pg_admin().exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
        }
        catch (...) {
        }
    }

    std::string const& name() const { return name_; }

    /// Runs `sql` on this database (blocking, admin rights).
    std::string exec(std::string const& sql) { return pg_admin(name_).exec(sql); }

    /// Connections of the server's pools to this database, by state (count of all when empty).
    int server_connections(std::string const& state = "")
    {
        auto sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + name_
                 + "' AND application_name LIKE 'longpolling-server:%'";
        if (!state.empty())
            sql += " AND state = '" + state + "'";
        return std::stoi(pg_admin().exec(sql));
    }

    orm::connection_settings settings(unsigned max_cursor = 2) const
    {
        orm::connection_settings s;
        s.host = env_or_fail("LP_TEST_PGHOST");
        s.port = env_or_fail("LP_TEST_PGPORT");
        s.user = env_or_fail("LP_TEST_PGUSER");
        s.max_cursor = max_cursor;
        return s;
    }

private:
    std::string name_;
};

/// Runs one coroutine to completion on `io` and returns its result (or rethrows its error).
template <class T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> work)
{
    std::optional<T> result;
    std::exception_ptr error;
    boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
        error = e;
        if (!e)
            result.emplace(std::move(value));
    });
    io.restart();
    io.run();
    if (error)
        std::rethrow_exception(error);
    return std::move(*result);
}

inline void run(boost::asio::io_context& io, boost::asio::awaitable<void> work)
{
    std::exception_ptr error;
    boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr e) { error = e; });
    io.restart();
    io.run();
    if (error)
        std::rethrow_exception(error);
}

} // namespace lp::test
