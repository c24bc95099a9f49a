#include "orm_bridge/access_rules.hpp"

#include "orm_bridge/database.hpp"
#include "orm_bridge/errors.hpp"
#include "orm_bridge/log.hpp"
#include "orm_bridge/pg_value.hpp"
#include "orm_bridge/rule_expression.hpp"
#include "orm_bridge/sql_fragment.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <charconv>
#include <unordered_map>

namespace lp::orm {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::int64_t to_int(std::string_view text)
{
    std::int64_t n = 0;
    std::from_chars(text.data(), text.data() + text.size(), n);
    return n;
}

/// PostgreSQL's text form of an int array, "{1,2}".
std::vector<std::int64_t> int_array(std::string_view text)
{
    std::vector<std::int64_t> out;
    std::size_t at = 0;
    while (at < text.size()) {
        while (at < text.size() && (text[at] < '0' || text[at] > '9'))
            ++at;
        auto const start = at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9')
            ++at;
        if (at > start)
            out.push_back(to_int(text.substr(start, at - start)));
    }
    return out;
}

std::string table_of(std::string model)
{
    std::replace(model.begin(), model.end(), '.', '_');
    return model;
}

std::string model_of(std::string table)
{
    std::replace(table.begin(), table.end(), '_', '.');
    return table;
}

/// The cache key of one model's rules for one set of companies.
std::string rules_key(std::string const& table, std::int64_t company, std::vector<std::int64_t> const& companies)
{
    std::string key = table + "|" + std::to_string(company);
    for (auto id : companies)
        key += "," + std::to_string(id);
    return key;
}

json::array id_list(std::vector<std::int64_t> const& ids)
{
    json::array out;
    for (auto id : ids)
        out.push_back(id);
    return out;
}

/// The ids of a child_of operand (an id or a list of ids; false and null skipped), or nullopt
/// when it holds anything else.
std::optional<std::string> operand_ids(json::value const& operand)
{
    std::string ids;
    auto take = [&](json::value const& v) {
        if (v.is_int64())
            ids += (ids.empty() ? "" : ",") + std::to_string(v.get_int64());
        return v.is_int64() || v.is_bool() || v.is_null();
    };
    if (auto const* list = operand.if_array()) {
        for (auto const& v : *list)
            if (!take(v))
                return std::nullopt;
    }
    else if (!take(operand)) {
        return std::nullopt;
    }
    return "{" + ids + "}";
}

} // namespace

/// ir.model.access for reads, per model.
struct model_access {
    std::string model;
    std::string description;         ///< ir_model.name, for Odoo's message
    bool everyone = false;           ///< a line without a group grants read
    std::vector<std::int64_t> groups; ///< groups whose line grants read
};

struct rule_row {
    std::int64_t id = 0;
    std::string text;
    std::vector<std::int64_t> groups; ///< empty: a global rule
    std::optional<rule_expression> parsed;
    std::string parse_error;
};

struct access_rules::user_info {
    std::int64_t uid = 0;
    std::set<std::int64_t> groups;            ///< implied groups included
    std::int64_t company_id = 0;              ///< 0: none
    std::vector<std::int64_t> company_ids;    ///< every company the user may use
    std::map<std::string, json::value> values; ///< "partner_id.id" -> 7, as rules read them
    std::map<std::string, std::shared_ptr<applicable_rules const>> rules; ///< by table and companies
};

struct access_rules::snapshot {
    std::string signals;                 ///< the signaling sequences' values, as read
    bool odoo = false;                   ///< the database has Odoo's access tables
    std::unordered_map<std::string, model_access> models; ///< by table
    std::unordered_map<std::string, std::vector<rule_row>> rules; ///< read rules, by table
    std::unordered_map<std::int64_t, std::vector<std::int64_t>> implied; ///< group -> groups it implies
    std::optional<std::int64_t> public_uid;
    std::unordered_map<std::int64_t, std::shared_ptr<user_info>> users;
};

access_rules::access_rules(std::string database_name) : database_name_(std::move(database_name)) {}
access_rules::~access_rules() = default;

asio::awaitable<void> access_rules::refresh(cursor& c)
{
    auto const now = clock::now();
    if (current_ && now - last_check_ < signaling_check_interval)
        co_return;
    last_check_ = now;
    // Odoo 12-16: base_registry_signaling and base_cache_signaling; 17+: one
    // base_cache_signaling_<cache> per cache. Any of them moving drops everything here.
    std::string const signals_sql =
        "SELECT string_agg(c.relname || '=' || COALESCE(pg_sequence_last_value(c.oid)::text, ''), ',' ORDER BY c.relname)"
        "  FROM pg_class c WHERE c.relkind = 'S' AND pg_table_is_visible(c.oid)"
        "   AND (c.relname = 'base_registry_signaling' OR c.relname LIKE 'base\\_cache\\_signaling%')";
    auto signals_row = co_await c.query(signals_sql);
    std::string signals = signals_row.is_null(0, 0) ? "" : std::string(signals_row.value(0, 0));
    // Without any signaling sequence nothing says when to reload: reload every interval.
    if (current_ && !signals.empty() && signals == current_->signals)
        co_return;

    auto snap = std::make_shared<snapshot>();
    snap->signals = std::move(signals);
    std::string const odoo_sql = "SELECT to_regclass('ir_model_access') IS NOT NULL AND to_regclass('ir_rule') IS NOT NULL";
    auto odoo = co_await c.query(odoo_sql);
    snap->odoo = odoo.value(0, 0) == "t";
    if (snap->odoo) {
        // ir_model.name is varchar up to 15 and translated jsonb from 16: to_jsonb reads both.
        std::string const models_sql =
            "SELECT m.model, COALESCE(to_jsonb(m.name)->>'en_US', to_jsonb(m.name)#>>'{}', m.model),"
            "       bool_or(a.group_id IS NULL), array_remove(array_agg(DISTINCT a.group_id), NULL)"
            "  FROM ir_model m JOIN ir_model_access a ON a.model_id = m.id"
            " WHERE a.active AND a.perm_read GROUP BY m.model, m.name";
        auto models = co_await c.query(models_sql);
        for (int row = 0; row < models.rows(); ++row) {
            model_access access{std::string(models.value(row, 0)), std::string(models.value(row, 1)),
                                models.value(row, 2) == "t", int_array(models.value(row, 3))};
            snap->models.emplace(table_of(access.model), std::move(access));
        }
        std::string const rules_sql =
            "SELECT r.id, m.model, COALESCE(r.domain_force, ''), array_remove(array_agg(g.group_id), NULL)"
            "  FROM ir_rule r JOIN ir_model m ON m.id = r.model_id"
            "  LEFT JOIN rule_group_rel g ON g.rule_group_id = r.id"
            " WHERE r.active AND r.perm_read GROUP BY r.id, m.model ORDER BY r.id";
        auto rules = co_await c.query(rules_sql);
        for (int row = 0; row < rules.rows(); ++row) {
            rule_row rule{to_int(rules.value(row, 0)), std::string(rules.value(row, 2)), int_array(rules.value(row, 3)),
                          std::nullopt, {}};
            if (!rule.text.empty()) {
                try {
                    rule.parsed = rule_expression::parse(rule.text);
                }
                catch (rule_expression_error const& e) {
                    rule.parse_error = e.what();
                }
            }
            snap->rules[table_of(std::string(rules.value(row, 1)))].push_back(std::move(rule));
        }
        std::string const implied_sql = "SELECT gid, hid FROM res_groups_implied_rel";
        auto implied = co_await c.query(implied_sql);
        for (int row = 0; row < implied.rows(); ++row)
            snap->implied[to_int(implied.value(row, 0))].push_back(to_int(implied.value(row, 1)));
        std::string const public_sql =
            "SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'public_user' AND model = 'res.users'";
        auto public_user = co_await c.query(public_sql);
        if (public_user.rows() > 0)
            snap->public_uid = to_int(public_user.value(0, 0));
    }
    if (!current_ || current_->signals != snap->signals || snap->signals.empty())
        log::debug("access", database_name_, ": access rights and rules (re)loaded, signals [", snap->signals, "]");
    current_ = std::move(snap);
}

asio::awaitable<std::shared_ptr<access_rules::user_info>> access_rules::user(std::shared_ptr<snapshot> const& snap,
                                                                             std::int64_t uid, cursor& c)
{
    if (auto it = snap->users.find(uid); it != snap->users.end())
        co_return it->second;
    auto info = std::make_shared<user_info>();
    info->uid = uid;
    pg::parameters id{std::to_string(uid)};
    std::string const user_sql = "SELECT COALESCE(company_id, 0) FROM res_users WHERE id = $1::int4";
    auto row = co_await c.query(user_sql, id);
    if (row.rows() == 0)
        throw access_denied("user " + std::to_string(uid) + " does not exist");
    info->company_id = to_int(row.value(0, 0));
    std::string const groups_sql = "SELECT gid FROM res_groups_users_rel WHERE uid = $1::int4";
    auto groups = co_await c.query(groups_sql, id);
    // Odoo stores implied groups in the user's groups too; the closure covers a database where
    // an implication was added later.
    std::vector<std::int64_t> pending;
    for (int r = 0; r < groups.rows(); ++r)
        pending.push_back(to_int(groups.value(r, 0)));
    while (!pending.empty()) {
        auto const g = pending.back();
        pending.pop_back();
        if (!info->groups.insert(g).second)
            continue;
        if (auto it = snap->implied.find(g); it != snap->implied.end())
            pending.insert(pending.end(), it->second.begin(), it->second.end());
    }
    std::string const companies_sql = "SELECT cid FROM res_company_users_rel WHERE user_id = $1::int4 ORDER BY cid";
    auto companies = co_await c.query(companies_sql, id);
    for (int r = 0; r < companies.rows(); ++r)
        info->company_ids.push_back(to_int(companies.value(r, 0)));
    if (info->company_id && std::find(info->company_ids.begin(), info->company_ids.end(), info->company_id) == info->company_ids.end())
        info->company_ids.push_back(info->company_id);
    snap->users[uid] = info;
    co_return info;
}

asio::awaitable<json::value> access_rules::user_value(user_info& user, std::vector<std::string> const& path,
                                                      database& db, cursor& c)
{
    std::string key;
    for (auto const& name : path)
        key += (key.empty() ? "" : ".") + name;
    if (auto it = user.values.find(key); it != user.values.end())
        co_return it->second;

    // Walk the chain from the user's record: many2one fields lead to the next record, `id` and
    // `ids` end it; res.users reads the fields it lacks from its partner (_inherits).
    std::string table = "res_users";
    json::value record = user.uid; // an id, false (an empty record), or an array of ids
    json::value out;
    for (std::size_t i = 0; i < path.size(); ++i) {
        auto const& name = path[i];
        bool const last = i + 1 == path.size();
        auto fail = [&](std::string const& why) { throw rule_expression_error("user." + key + ": " + why); };
        if (name == "id" || name == "ids") {
            if (!last)
                fail("'" + name + "' must end the path");
            if (name == "id")
                out = record.is_array() ? (record.get_array().empty() ? json::value(false) : record.get_array().front()) : record;
            else
                out = record.is_array() ? record : record.is_int64() ? json::value(json::array{record}) : json::value(json::array{});
            break;
        }
        if (record.is_array())
            fail("only .ids may follow a many2many");
        if (record.is_bool()) { // attributes of an empty record are empty
            out = false;
            if (last)
                break;
            continue;
        }
        if (table == "res_users" && (name == "company_ids" || name == "groups_id")) {
            record = name == "company_ids" ? id_list(user.company_ids)
                                           : id_list(std::vector<std::int64_t>(user.groups.begin(), user.groups.end()));
            out = record;
            continue;
        }
        auto schema = co_await db.schema(model_of(table), c);
        auto const* column = schema->find(name);
        std::int64_t id = record.get_int64();
        if (!column && table == "res_users") {
            // _inherits: a field of the partner.
            pg::parameters params{std::to_string(id)};
            std::string const partner_sql = "SELECT partner_id FROM res_users WHERE id = $1::int4";
            auto partner = co_await c.query(partner_sql, std::move(params));
            if (partner.rows() == 0 || partner.is_null(0, 0))
                fail("the user has no partner");
            table = "res_partner";
            id = to_int(partner.value(0, 0));
            schema = co_await db.schema("res.partner", c);
            column = schema->find(name);
        }
        if (!column) {
            auto const* link = schema->find_x2many(name);
            if (!link || link->link_model)
                fail("no stored field '" + name + "' on " + schema->model);
            pg::parameters params{std::to_string(id)};
            auto ids = co_await c.query("SELECT " + quote_identifier(link->target_column) + " FROM " + quote_identifier(link->link_table)
                                            + " WHERE " + quote_identifier(link->owner_column) + " = $1::int8 ORDER BY 1",
                                        std::move(params));
            json::array list;
            for (int r = 0; r < ids.rows(); ++r)
                list.push_back(to_int(ids.value(r, 0)));
            record = list;
            out = std::move(list);
            continue;
        }
        pg::parameters params{std::to_string(id)};
        auto value = co_await c.query("SELECT " + quote_identifier(column->name) + " FROM " + quote_identifier(table)
                                          + " WHERE \"id\" = $1::int8",
                                      std::move(params));
        if (value.rows() == 0)
            fail("record " + std::to_string(id) + " of " + table + " does not exist");
        out = odoo_value(column->pg_type, value.is_null(0, 0), value.value(0, 0));
        if (column->many2one_table) {
            record = out;
            table = *column->many2one_table;
        }
        else if (!last) {
            fail("'" + name + "' is not a many2one");
        }
    }
    user.values[key] = out;
    co_return out;
}

asio::awaitable<std::shared_ptr<applicable_rules const>> access_rules::read_rules(caller const& who, table_schema const& schema,
                                                                                  database& db, cursor& c)
{
    if (who.is_superuser())
        co_return nullptr;
    co_await refresh(c);
    auto const snap = current_; // kept alive even if a refresh replaces it meanwhile
    if (!snap->odoo)
        throw access_denied("database '" + database_name_ + "' has no Odoo access rights (ir_model_access, ir_rule): only "
                           "sudo() may read " + schema.model);
    std::int64_t uid = who.uid;
    if (who.who == caller::kind::public_user) {
        if (!snap->public_uid)
            throw access_denied("database '" + database_name_ + "' has no public user (base.public_user)");
        uid = *snap->public_uid;
        if (uid == superuser_id)
            co_return nullptr;
    }
    auto const user_data = co_await user(snap, uid, c);

    // ir.model.access: a line without a group, or one of the user's groups.
    auto const access = snap->models.find(schema.table);
    bool allowed = access != snap->models.end() && access->second.everyone;
    if (access != snap->models.end())
        for (auto g : access->second.groups)
            allowed = allowed || user_data->groups.contains(g);
    if (!allowed) {
        auto const description = access != snap->models.end() ? access->second.description : schema.model;
        throw access_denied("You are not allowed to access '" + description + "' (" + schema.model
                           + ") records.\n\nThis operation is allowed for the following groups:\n\t- none of yours"
                             "\n\nContact your administrator to request access if necessary.");
    }

    // The companies rules see (Odoo 13+'s env.companies / env.company).
    std::vector<std::int64_t> companies = user_data->company_ids;
    std::int64_t company = user_data->company_id;
    if (who.companies && !who.companies->empty()) {
        for (auto id : *who.companies)
            if (std::find(user_data->company_ids.begin(), user_data->company_ids.end(), id) == user_data->company_ids.end())
                throw access_denied("Access to unauthorized or invalid companies.");
        companies = *who.companies;
        company = companies.front();
    }
    auto const key = rules_key(schema.table, company, companies);
    if (auto it = user_data->rules.find(key); it != user_data->rules.end())
        co_return it->second;

    auto out = std::make_shared<applicable_rules>();
    json::value const company_ids = id_list(companies);
    json::value const company_id = company ? json::value(company) : json::value(false);
    if (auto found = snap->rules.find(schema.table); found != snap->rules.end()) {
        for (auto const& rule : found->second) {
            bool const global = rule.groups.empty();
            bool applies = global;
            for (auto g : rule.groups)
                applies = applies || user_data->groups.contains(g);
            if (!applies)
                continue;
            evaluated_rule evaluated{rule.id, rule.text, std::nullopt};
            if (rule.text.empty()) {
                evaluated.domain = json::array{};
            }
            else if (!rule.parsed) {
                report_unusable(evaluated, rule.parse_error);
            }
            else {
                try {
                    std::map<std::string, json::value> values;
                    for (auto const& path : rule.parsed->user_paths()) {
                        auto value = co_await user_value(*user_data, path, db, c);
                        std::string joined;
                        for (auto const& name : path)
                            joined += (joined.empty() ? "" : ".") + name;
                        values[joined] = std::move(value);
                    }
                    evaluated.domain = co_await with_parent_paths(rule.parsed->evaluate(values, company_ids, company_id),
                                                                  schema, db, c);
                }
                catch (rule_expression_error const& e) {
                    report_unusable(evaluated, e.what());
                }
                catch (bad_argument const& e) { // a `user.` path through a table that does not exist
                    report_unusable(evaluated, e.what());
                }
            }
            (global ? out->global : out->group).push_back(std::move(evaluated));
        }
    }
    user_data->rules[key] = out;
    co_return out;
}

asio::awaitable<json::value> access_rules::with_parent_paths(json::value domain, table_schema const& schema, database& db,
                                                             cursor& c)
{
    auto const* terms = domain.if_array();
    if (!terms)
        co_return domain;
    json::array out;
    for (auto const& term : *terms) {
        auto const* leaf = term.if_array();
        auto const* field = leaf && leaf->size() == 3 ? (*leaf)[0].if_string() : nullptr;
        auto const* op = field ? (*leaf)[1].if_string() : nullptr;
        auto const ids = op && *op == "child_of" ? operand_ids((*leaf)[2]) : std::nullopt;
        std::optional<std::string> target;
        if (ids && *field == "id")
            target = schema.table;
        else if (auto const* column = ids ? schema.find(*field) : nullptr)
            target = column->many2one_table;
        else if (auto const* link = ids ? schema.find_x2many(*field) : nullptr)
            target = link->target_table;
        table_schema const* tree = nullptr;
        try {
            if (target)
                tree = (co_await db.schema(model_of(*target), c)).get();
        }
        catch (bad_argument const&) {
            // No such table: the leaf stays, and compiling it says why the rule is unusable.
        }
        if (!tree || !tree->find("parent_path")) {
            out.push_back(term);
            continue;
        }
        // Odoo's own child_of on a parent_store model: one prefix per record, which an index on
        // parent_path serves, instead of a join on computed patterns.
        pg::parameters params{*ids};
        auto paths = co_await c.query("SELECT parent_path FROM " + quote_identifier(tree->table)
                                          + " WHERE id = ANY($1::int8[]) AND parent_path IS NOT NULL ORDER BY id",
                                      std::move(params));
        json::string const path_field(*field == "id" ? std::string("parent_path") : std::string(*field) + ".parent_path");
        if (paths.rows() == 0)
            out.push_back(json::array{0, "=", 1});
        for (int row = 1; row < paths.rows(); ++row)
            out.push_back("|");
        for (int row = 0; row < paths.rows(); ++row)
            out.push_back(json::array{path_field, "=like", std::string(paths.value(row, 0)) + "%"});
    }
    co_return out;
}

std::shared_ptr<applicable_rules const> access_rules::cached_read_rules(caller const& who, std::string const& table) const
{
    if (who.is_superuser() || !current_)
        return nullptr;
    std::int64_t uid = who.uid;
    if (who.who == caller::kind::public_user) {
        if (!current_->public_uid)
            return nullptr;
        uid = *current_->public_uid;
    }
    auto user = current_->users.find(uid);
    if (user == current_->users.end())
        return nullptr;
    auto const& info = *user->second;
    bool const switched = who.companies && !who.companies->empty();
    auto it = info.rules.find(switched ? rules_key(table, who.companies->front(), *who.companies)
                                       : rules_key(table, info.company_id, info.company_ids));
    return it == info.rules.end() ? nullptr : it->second;
}

void access_rules::report_unusable(evaluated_rule const& rule, std::string const& reason)
{
    if (!reported_.emplace(rule.id, rule.text).second)
        return;
    log::warning("access", database_name_, ": ir.rule ", rule.id, " is not understood, so it grants nothing (",
                 reason, "): ", rule.text);
}

} // namespace lp::orm
