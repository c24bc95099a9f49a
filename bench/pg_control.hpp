// A blocking libpq connection for the control side of a run (reading bus_bus, publishing like
// Odoo, counting the server's queries in pg_stat_statements), used from helper threads only.
#pragma once

#include <optional>
#include <string>
#include <vector>

struct pg_conn;

namespace bench {

class pg_control {
public:
    pg_control(std::string const& host, std::string const& port, std::string const& user, std::string const& db);
    ~pg_control();
    pg_control(pg_control const&) = delete;
    pg_control& operator=(pg_control const&) = delete;

    /// Runs a statement with text parameters; returns the first column of every row (NULL as "").
    /// Throws std::runtime_error with PostgreSQL's message on failure.
    std::vector<std::string> query(std::string const& sql, std::vector<std::string> const& params = {});

    /// query() of a single value as an integer (0 for NULL).
    long long scalar(std::string const& sql, std::vector<std::string> const& params = {});

    /// Calls of the statements whose text matches the SQL LIKE `pattern`, across all databases,
    /// or nothing when pg_stat_statements is not available in this database.
    std::optional<long long> statement_calls(std::string const& pattern);

private:
    pg_conn* conn_ = nullptr;
    std::string name_;
    std::optional<bool> has_statements_;
};

} // namespace bench
