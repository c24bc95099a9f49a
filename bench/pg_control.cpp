#include "bench/pg_control.hpp"

#include <libpq-fe.h>

#include <stdexcept>

namespace bench {

pg_control::pg_control(std::string const& host, std::string const& port, std::string const& user,
                       std::string const& db)
    : name_(db)
{
    char const* keys[] = {"host", "port", "user", "dbname", "application_name", nullptr};
    char const* values[] = {host.c_str(), port.c_str(), user.c_str(), db.c_str(), "lp-bench", nullptr};
    conn_ = PQconnectdbParams(keys, values, 0);
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string const why = PQerrorMessage(conn_);
        PQfinish(conn_);
        conn_ = nullptr;
        throw std::runtime_error("connecting to database " + db + ": " + why);
    }
}

pg_control::~pg_control()
{
    if (conn_)
        PQfinish(conn_);
}

std::vector<std::string> pg_control::query(std::string const& sql, std::vector<std::string> const& params)
{
    std::vector<char const*> values;
    for (auto const& p : params)
        values.push_back(p.c_str());
    PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                               nullptr, 0);
    auto const status = PQresultStatus(r);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        std::string const why = PQresultErrorMessage(r);
        PQclear(r);
        throw std::runtime_error(name_ + ": " + why + " in: " + sql);
    }
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(r); ++i)
        out.emplace_back(PQgetisnull(r, i, 0) ? "" : PQgetvalue(r, i, 0));
    PQclear(r);
    return out;
}

long long pg_control::scalar(std::string const& sql, std::vector<std::string> const& params)
{
    auto rows = query(sql, params);
    return rows.empty() || rows[0].empty() ? 0 : std::stoll(rows[0]);
}

std::optional<long long> pg_control::statement_calls(std::string const& pattern)
{
    if (!has_statements_)
        has_statements_ = scalar("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'") > 0;
    if (!*has_statements_)
        return std::nullopt;
    return scalar("SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE $1", {pattern});
}

} // namespace bench
