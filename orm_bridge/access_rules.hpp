// Odoo's access rights for reads, per database: ir.model.access (may this user read the model
// at all?) and ir.rule (which records?), for a caller (orm_bridge/caller.hpp).
//
// What Odoo stores is cached: access lines, rules (parsed once), implied groups and the public
// user; per user, their groups (implied ones included), companies, the `user.` values rules read
// and the rules evaluated for each model. The cache is dropped when Odoo signals a change to
// its own caches (the base_registry_signaling and base_cache_signaling* sequences), which is
// checked at most once per second, on a cursor the call has anyway.
#pragma once

#include "orm_bridge/caller.hpp"
#include "orm_bridge/cursor_pool.hpp"
#include "orm_bridge/record_rules.hpp"
#include "orm_bridge/table_schema.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace lp::orm {

class database;

class access_rules {
public:
    using clock = std::chrono::steady_clock;

    explicit access_rules(std::string database_name);
    ~access_rules();

    /// How often Odoo's signaling sequences are read, at most.
    static constexpr clock::duration signaling_check_interval = std::chrono::seconds(1);

    /// The read rules of `who` on `schema`'s model, nullptr for the superuser (no restriction).
    /// Errors: access_denied (Odoo's AccessError, 403 at the edge) when ir.model.access does not let `who` read the model, when
    /// the public user or the user does not exist, or when `who.companies` names a company the user
    /// may not use; pg::error from PostgreSQL.
    boost::asio::awaitable<std::shared_ptr<applicable_rules const>> read_rules(caller const& who, table_schema const& schema,
                                                                               database& db, cursor& c);

    /// What read_rules() gave last for this caller and table, from the cache only: nullptr when
    /// it is not there (or for the superuser; see is_superuser()).
    std::shared_ptr<applicable_rules const> cached_read_rules(caller const& who, std::string const& table) const;

    /// Logs a rule that cannot be used (and so denies), once per rule id and text.
    void report_unusable(evaluated_rule const& rule, std::string const& reason);

    struct snapshot;
    struct user_info;

private:
    boost::asio::awaitable<void> refresh(cursor& c);
    boost::asio::awaitable<std::shared_ptr<user_info>> user(std::shared_ptr<snapshot> const& snap, std::int64_t uid, cursor& c);
    /// `domain` with each child_of on a model that stores parent_path turned into parent_path
    /// prefixes, as Odoo does (other leaves untouched).
    boost::asio::awaitable<boost::json::value> with_parent_paths(boost::json::value domain, table_schema const& schema,
                                                                 database& db, cursor& c);
    boost::asio::awaitable<boost::json::value> user_value(user_info& user, std::vector<std::string> const& path,
                                                          database& db, cursor& c);

    std::string database_name_;
    std::shared_ptr<snapshot> current_;
    clock::time_point last_check_{};
    std::set<std::pair<std::int64_t, std::string>> reported_;
};

} // namespace lp::orm
