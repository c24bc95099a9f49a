#include "orm_bridge/model.hpp"

#include "orm_bridge/domain.hpp"
#include "orm_bridge/errors.hpp"
#include "orm_bridge/pg_value.hpp"
#include "orm_bridge/record_rules.hpp"
#include "orm_bridge/sql_fragment.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace lp::orm {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::vector<std::int64_t> parse_ids(json::value const& ids, std::string const& model)
{
    std::vector<std::int64_t> out;
    auto take = [&](json::value const& v) {
        if (v.is_int64())
            out.push_back(v.get_int64());
        else if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
            out.push_back(static_cast<std::int64_t>(v.get_uint64()));
        else
            throw bad_argument(model + ".read: ids must be integers, got " + json::serialize(v));
    };
    if (auto const* list = ids.if_array()) {
        if (list->size() > 10000)
            throw bad_argument(model + ".read: at most 10000 ids at once");
        for (auto const& v : *list)
            take(v);
    }
    else {
        take(ids);
    }
    return out;
}

/// The columns to read: "id" first, then the named fields (all columns when none are named).
std::vector<column_info const*> selected_columns(table_schema const& schema, json::value const& fields)
{
    std::vector<column_info const*> out;
    auto const* id = schema.find("id");
    if (!id)
        throw bad_argument("model " + schema.model + " has no id column");
    out.push_back(id);
    json::array const* names = fields.if_array();
    if (!names && !fields.is_null())
        throw bad_argument("fields must be an array of field names");
    if (!names || names->empty()) {
        for (auto const& c : schema.columns)
            if (c.name != "id")
                out.push_back(&c);
        return out;
    }
    for (auto const& name : *names) {
        if (!name.is_string())
            throw bad_argument("fields must be an array of field names, got " + json::serialize(name));
        auto const* column = schema.find(name.get_string());
        if (!column)
            throw bad_argument("unknown field '" + std::string(name.get_string()) + "' on " + schema.model);
        if (std::find(out.begin(), out.end(), column) == out.end())
            out.push_back(column);
    }
    return out;
}

std::string select_list(table_schema const& schema, std::vector<column_info const*> const& columns)
{
    std::string sql;
    for (auto const* c : columns) {
        if (!sql.empty())
            sql += ", ";
        sql += quote_identifier(schema.table) + "." + quote_identifier(c->name);
    }
    return sql;
}

/// Thrown while compiling when a field path searches a model whose rules are not loaded yet.
struct rules_needed {
    std::string table;
};

std::string model_of(std::string table)
{
    std::replace(table.begin(), table.end(), '_', '.');
    return table;
}

/// The domain's condition, plus Odoo's implicit active = true unless the domain mentions
/// "active" or the context says active_test = false.
std::string condition(json::value const& domain, table_schema const& schema, json::object const& context,
                      sql_fragment& out, domain_scope const& scope)
{
    auto sql = compile_domain(domain, schema, out, scope);
    bool active_test = true;
    if (auto const* flag = context.if_contains("active_test"); flag && flag->is_bool())
        active_test = flag->get_bool();
    if (active_test && schema.find("active") && !domain_mentions(domain, "active"))
        sql = "(" + sql + ") AND " + quote_identifier(schema.table) + ".\"active\" = true";
    return sql;
}

std::string paging(std::int64_t offset, std::optional<std::int64_t> limit)
{
    if (offset < 0)
        throw bad_argument("offset must not be negative");
    if (limit && *limit < 0)
        throw bad_argument("limit must not be negative");
    std::string sql;
    if (limit)
        sql += " LIMIT " + std::to_string(*limit);
    if (offset)
        sql += " OFFSET " + std::to_string(offset);
    return sql;
}

std::string id_array(std::set<std::int64_t> const& ids)
{
    std::string text = "{";
    for (auto id : ids) {
        if (text.size() > 1)
            text += ',';
        text += std::to_string(id);
    }
    return text + "}";
}

/// How to show a record of `related` in a many2one: its name, its partner's name (res.users),
/// its login, or "model,id".
std::string display_name_expression(table_schema const& related)
{
    if (auto const* name = related.find("name"))
        return name->pg_type == "jsonb" ? "COALESCE(r.\"name\"->>'en_US', r.\"name\"::text)" : "r.\"name\"::text";
    if (auto const* partner = related.find("partner_id"); partner && partner->many2one_table == "res_partner")
        return "(SELECT p.\"name\"::text FROM \"res_partner\" p WHERE p.\"id\" = r.\"partner_id\")";
    if (related.find("login"))
        return "r.\"login\"::text";
    std::string model = related.table;
    std::replace(model.begin(), model.end(), '_', '.');
    return "'" + model + ",' || r.\"id\"";
}

/// Rows as OpenERP records; many2one values become [id, display name] with one query per
/// related table.
asio::awaitable<json::array> records(pg::result const& rows, std::vector<column_info const*> const& columns,
                                     database& db, cursor& c)
{
    json::array out;
    out.reserve(static_cast<std::size_t>(rows.rows()));
    std::map<std::string, std::set<std::int64_t>> wanted; // related table -> ids
    for (int row = 0; row < rows.rows(); ++row) {
        json::object record;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            auto const column = static_cast<int>(i);
            auto value = odoo_value(columns[i]->pg_type, rows.is_null(row, column), rows.value(row, column));
            if (columns[i]->many2one_table && value.is_int64())
                wanted[*columns[i]->many2one_table].insert(value.get_int64());
            record[columns[i]->name] = std::move(value);
        }
        out.push_back(std::move(record));
    }
    for (auto const& [table, ids] : wanted) {
        std::string related_model = table;
        std::replace(related_model.begin(), related_model.end(), '_', '.');
        auto related = co_await db.schema(related_model, c);
        pg::parameters id_list{id_array(ids)};
        auto names = co_await c.query("SELECT r.\"id\", " + display_name_expression(*related) + " FROM "
                                          + quote_identifier(related->table) + " r WHERE r.\"id\" = ANY($1::int8[])",
                                      std::move(id_list));
        std::unordered_map<std::int64_t, json::value> by_id;
        for (int row = 0; row < names.rows(); ++row)
            by_id[std::stoll(std::string(names.value(row, 0)))] =
                names.is_null(row, 1) ? json::value(false) : json::value(json::string(names.value(row, 1)));
        for (auto& record : out)
            for (auto const* column : columns) {
                if (column->many2one_table != table)
                    continue;
                auto& value = record.as_object()[column->name];
                if (!value.is_int64())
                    continue;
                auto const id = value.get_int64();
                auto found = by_id.find(id);
                value = json::array{id, found == by_id.end() ? json::value(false) : found->second};
            }
    }
    co_return out;
}

} // namespace

model::model(database& db, std::string name, clock::time_point deadline, json::object context, caller who)
    : db_(db), name_(std::move(name)), deadline_(deadline), context_(std::move(context)), who_(std::move(who))
{
}

model model::sudo() const
{
    return model(db_, name_, deadline_, context_, caller::superuser());
}

asio::awaitable<std::string> model::restricted(json::value const* domain, table_schema const& schema, cursor& c,
                                               sql_fragment& out)
{
    auto& access = db_.access();
    auto const rules = co_await access.read_rules(who_, schema, db_, c);
    auto const report = [&access](evaluated_rule const& rule, std::string const& reason) {
        access.report_unusable(rule, reason);
    };
    domain_scope rule_scope;
    rule_scope.schema_of = [this](std::string const& table) { return db_.known_schema(table); };
    // Field paths in the caller's domain search other models as the caller, as Odoo does: with
    // their rules there. Rules themselves are evaluated as the superuser (rule_scope).
    domain_scope client_scope = rule_scope;
    if (!who_.is_superuser())
        client_scope.restrict = [&](table_schema const& related, sql_fragment& o) {
            auto related_rules = access.cached_read_rules(who_, related.table);
            if (!related_rules)
                throw rules_needed{related.table};
            return combine_rules(*related_rules, related, o, rule_scope, report);
        };
    auto const first_param = out.params.size();
    for (int attempt = 0; attempt < 32; ++attempt) {
        std::optional<std::string> missing_schema, missing_rules;
        try {
            std::string sql = rules ? combine_rules(*rules, schema, out, rule_scope, report) : "";
            if (domain) {
                auto const client = condition(*domain, schema, context_, out, client_scope);
                sql = sql.empty() ? client : sql + " AND " + client;
            }
            co_return sql.empty() ? "TRUE" : sql;
        }
        catch (schema_needed const& needed) {
            missing_schema = needed.table;
        }
        catch (rules_needed const& needed) {
            missing_rules = needed.table;
        }
        out.params.resize(first_param);
        auto related = co_await db_.schema(model_of(missing_schema ? *missing_schema : *missing_rules), c);
        if (missing_rules)
            co_await access.read_rules(who_, *related, db_, c);
    }
    throw bad_argument("domain: goes through too many models");
}

asio::awaitable<json::array> model::read(json::value ids, json::value fields)
{
    auto const wanted = parse_ids(ids, name_);
    auto c = co_await db_.pool().acquire(deadline_);
    auto schema = co_await db_.schema(name_, c);
    auto const columns = selected_columns(*schema, fields);
    std::set<std::int64_t> const unique(wanted.begin(), wanted.end());
    sql_fragment query;
    auto const id_param = query.bind(id_array(unique));
    auto const where = co_await restricted(nullptr, *schema, c, query);
    auto rows = co_await c.query("SELECT " + select_list(*schema, columns) + " FROM " + quote_identifier(schema->table)
                                     + " WHERE " + quote_identifier(schema->table) + ".\"id\" = ANY(" + id_param + "::int8[]) AND "
                                     + where,
                                 std::move(query.params));
    if (static_cast<std::size_t>(rows.rows()) < unique.size() && where != "TRUE") {
        // Odoo tells a record the rules hide (AccessError) from one that does not exist.
        pg::parameters all{id_array(unique)};
        auto existing = co_await c.query("SELECT count(*) FROM " + quote_identifier(schema->table)
                                             + " WHERE \"id\" = ANY($1::int8[])",
                                         std::move(all));
        if (std::stoll(std::string(existing.value(0, 0))) > rows.rows())
            throw access_denied("Due to security restrictions, you are not allowed to access '" + name_
                               + "' records.\n\n(Operation: read, Document model: " + name_ + ")");
    }
    auto found = co_await records(rows, columns, db_, c);
    // OpenERP answers in the order of the ids asked for, each once.
    std::unordered_map<std::int64_t, json::value*> by_id;
    for (auto& record : found)
        by_id[record.as_object().at("id").as_int64()] = &record;
    json::array out;
    std::set<std::int64_t> done;
    for (auto id : wanted) {
        if (!done.insert(id).second)
            continue;
        auto it = by_id.find(id);
        if (it == by_id.end())
            throw bad_argument(name_ + ".read: record " + std::to_string(id) + " does not exist");
        out.push_back(std::move(*it->second));
    }
    co_return out;
}

asio::awaitable<json::array> model::search(json::value domain, std::int64_t offset, std::optional<std::int64_t> limit,
                                           std::string order)
{
    auto c = co_await db_.pool().acquire(deadline_);
    auto schema = co_await db_.schema(name_, c);
    sql_fragment query;
    auto const where = co_await restricted(&domain, *schema, c, query);
    auto const ordering = compile_order(order, *schema);
    auto rows = co_await c.query("SELECT " + quote_identifier(schema->table) + ".\"id\" FROM "
                                     + quote_identifier(schema->table) + " WHERE " + where + " ORDER BY " + ordering
                                     + paging(offset, limit),
                                 std::move(query.params));
    json::array ids;
    for (int row = 0; row < rows.rows(); ++row)
        ids.push_back(odoo_value("int8", false, rows.value(row, 0)));
    co_return ids;
}

asio::awaitable<json::array> model::search_read(json::value domain, json::value fields, std::int64_t offset,
                                                std::optional<std::int64_t> limit, std::string order)
{
    auto c = co_await db_.pool().acquire(deadline_);
    auto schema = co_await db_.schema(name_, c);
    auto const columns = selected_columns(*schema, fields);
    sql_fragment query;
    auto const where = co_await restricted(&domain, *schema, c, query);
    auto const ordering = compile_order(order, *schema);
    auto rows = co_await c.query("SELECT " + select_list(*schema, columns) + " FROM " + quote_identifier(schema->table)
                                     + " WHERE " + where + " ORDER BY " + ordering + paging(offset, limit),
                                 std::move(query.params));
    auto out = co_await records(rows, columns, db_, c);
    co_return out;
}

asio::awaitable<std::int64_t> model::search_count(json::value domain)
{
    auto c = co_await db_.pool().acquire(deadline_);
    auto schema = co_await db_.schema(name_, c);
    sql_fragment query;
    auto const where = co_await restricted(&domain, *schema, c, query);
    auto rows = co_await c.query("SELECT count(*) FROM " + quote_identifier(schema->table) + " WHERE " + where,
                                 std::move(query.params));
    co_return std::stoll(std::string(rows.value(0, 0)));
}

asio::awaitable<json::array> read_cursor::query(std::string sql, pg::parameters params)
{
    auto c = co_await db_.pool().acquire(deadline_);
    auto rows = co_await c.query(std::move(sql), std::move(params));
    co_return rows_as_objects(rows);
}

} // namespace lp::orm
