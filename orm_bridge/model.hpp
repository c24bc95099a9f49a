// OpenERP's read API on one model, over the read-only cursor pool:
//   auto users = request.model("res.users");
//   auto rows = co_await users.read({2}, {"login", "partner_id"});  // [{"id":2,"login":"admin","partner_id":[3,"Administrator"]}]
#pragma once

#include "orm_bridge/caller.hpp"
#include "orm_bridge/database.hpp"
#include "orm_bridge/sql_fragment.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace lp::orm {

/// One model of one database, as a request sees it. Each call leases a cursor for that call
/// only (so a handler can never hold one while it waits) and answers the JSON OpenERP does:
/// records as objects with "id" first, NULL as false, many2one as [id, display name].
///
/// Every call runs as its caller, as Odoo's ORM does: ir.model.access must let them read the
/// model, and their ir.rule record rules are added to every search and read (orm_bridge/
/// access_rules.hpp); sudo() lifts both.
///
/// Errors: lp::orm::access_denied (Odoo's AccessError, a 403 at the edge) when access rights or
/// record rules deny the read; lp::orm::bad_argument (a 400 at the edge) for an unknown model or
/// field, a malformed domain, ids or order; lp::orm::unavailable (503) when no cursor can be
/// had; pg::error when PostgreSQL
/// fails (mapped to 4xx/5xx by the framework).
/// Lifetime: refers to its database, which lives as long as the server.
class model {
public:
    using clock = std::chrono::steady_clock;

    model(database& db, std::string name, clock::time_point deadline, boost::json::object context, caller who);

    std::string const& name() const { return name_; }
    caller const& who() const { return who_; }

    /// The same model as the superuser: no access rights, no record rules (Odoo's sudo()).
    /// Dangerous: whatever the handler then returns, every caller sees.
    model sudo() const;

    /// The records with these ids (an integer or an array of integers), in that order; `fields`
    /// is an array of field names, empty for all columns. An id the caller's record rules hide
    /// is an access_denied, as in Odoo.
    boost::asio::awaitable<boost::json::array> read(boost::json::value ids,
                                                    boost::json::value fields = boost::json::array());

    /// Ids of the records matching `domain`, ordered by `order` (default "id").
    boost::asio::awaitable<boost::json::array> search(boost::json::value domain, std::int64_t offset = 0,
                                                      std::optional<std::int64_t> limit = std::nullopt,
                                                      std::string order = {});

    /// search() and read() in one statement.
    boost::asio::awaitable<boost::json::array> search_read(boost::json::value domain,
                                                           boost::json::value fields = boost::json::array(),
                                                           std::int64_t offset = 0,
                                                           std::optional<std::int64_t> limit = std::nullopt,
                                                           std::string order = {});

    /// How many records match `domain`.
    boost::asio::awaitable<std::int64_t> search_count(boost::json::value domain);

private:
    /// The WHERE condition for the caller: their record rules on this model, AND `domain` (with
    /// Odoo's implicit active filter) when given. Loads what compiling finds missing (related
    /// schemas, rules of models a field path searches) and compiles again.
    /// Errors: access_denied when the caller may not read this model or one a path goes through.
    boost::asio::awaitable<std::string> restricted(boost::json::value const* domain, table_schema const& schema,
                                                   cursor& c, sql_fragment& out);

    database& db_;
    std::string name_;
    clock::time_point deadline_;
    boost::json::object context_;
    caller who_;
};

/// Raw read-only SQL on one database (the handler's `request.cursor()`): every query leases a
/// cursor for itself and gives it back, rolled back, before returning.
class read_cursor {
public:
    read_cursor(database& db, std::chrono::steady_clock::time_point deadline) : db_(db), deadline_(deadline) {}

    /// The rows of one parameterised statement ($1, $2...), as objects of column name to value
    /// (NULL as null). Errors: pg::error from PostgreSQL (a write fails with SQLSTATE 25006).
    boost::asio::awaitable<boost::json::array> query(std::string sql, pg::parameters params = {});

private:
    database& db_;
    std::chrono::steady_clock::time_point deadline_;
};

} // namespace lp::orm
