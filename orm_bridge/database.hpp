// The databases the server serves (-d): a cursor pool and the table schemas read so far, each.
#pragma once

#include "orm_bridge/access_rules.hpp"
#include "orm_bridge/cursor_pool.hpp"
#include "orm_bridge/table_schema.hpp"
#include "orm_bridge/user_cache.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <map>
#include <memory>
#include <string>
#include <unordered_map>

namespace lp::orm {

/// One served database.
class database {
public:
    database(boost::asio::any_io_executor executor, pool_settings settings, pool_settings writer,
             user_cache_settings users = {});

    std::string const& name() const { return pool_.settings().database; }
    /// The read-only cursors handlers use.
    cursor_pool& pool() { return pool_; }
    /// The server's own single read-write connection (bus presence and publishing).
    cursor_pool& writer() { return writer_; }
    /// The res_users rows behind logged-in sessions (session checks, channel hooks).
    user_cache& users() { return users_; }

    /// The schema of `model` ("res.users" lives in table res_users), read from the catalog the
    /// first time and kept. Many2one columns come from ir_model_fields when the database is an
    /// Odoo one, else from the table's foreign keys.
    /// Errors: orm::bad_argument when the model name is malformed or no such table exists.
    boost::asio::awaitable<std::shared_ptr<table_schema const>> schema(std::string model, cursor& c);

    /// The schema of `table` if schema() has read it already, else nullptr (never waits).
    table_schema const* known_schema(std::string const& table) const;

    /// Odoo's access rights and record rules on this database, cached.
    access_rules& access() { return access_; }

private:
    boost::asio::awaitable<void> load_x2many(table_schema& schema, cursor& c);

    cursor_pool pool_;
    cursor_pool writer_;
    user_cache users_;
    std::unordered_map<std::string, std::shared_ptr<table_schema const>> schemas_;
    std::unordered_map<std::string, std::shared_ptr<table_schema const>> schemas_by_table_;
    access_rules access_;
};

/// How to reach PostgreSQL, shared by every database.
struct connection_settings {
    std::string host;      ///< an IP address, or a socket directory (starts with '/'); empty: libpq's default
    std::string port;
    std::string user;
    std::string password;
    unsigned max_cursor = 2;
    std::chrono::milliseconds statement_timeout{30000};
    /// PostgreSQL's backstop for a leaked lease (idle_in_transaction_session_timeout). The
    /// connect deadline is not here: connections are opened asynchronously, where libpq's
    /// connect_timeout does not apply; each opener passes its own (pool_settings::connect_timeout).
    std::chrono::milliseconds idle_in_transaction_timeout{60000};
    /// How long a cached res_users row is used before it is read again (user_cache).
    std::chrono::milliseconds user_check_every{1000};
};

/// libpq parameters for `dbname`. Errors: std::invalid_argument when host is neither an IP
/// address nor a directory: host names would be resolved by blocking DNS on the server thread.
pg::connection_parameters connection_parameters_for(connection_settings const& settings, std::string const& dbname,
                                                    std::string const& application_name, bool read_only = true);

/// Every served database, by name.
class database_set {
public:
    database_set(boost::asio::any_io_executor executor, std::vector<std::string> const& names,
                 connection_settings const& settings);

    /// The database of that name, or nullptr when it is not served.
    database* find(std::string const& name);
    std::map<std::string, std::unique_ptr<database>> const& all() const { return databases_; }

    /// Closes every pool (at shutdown).
    void close();

private:
    std::map<std::string, std::unique_ptr<database>> databases_;
};

} // namespace lp::orm
