#include "orm_bridge/database.hpp"

#include "orm_bridge/errors.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace lp::orm {
namespace asio = boost::asio;

database::database(asio::any_io_executor executor, pool_settings settings, pool_settings writer,
                   user_cache_settings users)
    : pool_(executor, std::move(settings))
    , writer_(executor, std::move(writer))
    , users_(executor, pool_, users)
    , access_(pool_.settings().database)
{
}

table_schema const* database::known_schema(std::string const& table) const
{
    auto it = schemas_by_table_.find(table);
    return it == schemas_by_table_.end() ? nullptr : it->second.get();
}

asio::awaitable<std::shared_ptr<table_schema const>> database::schema(std::string model, cursor& c)
{
    if (auto it = schemas_.find(model); it != schemas_.end())
        co_return it->second;
    if (model.empty() || model.size() > 128)
        throw bad_argument("unknown model '" + model + "'");
    for (char ch : model)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.'))
            throw bad_argument("unknown model '" + model + "': a model name is made of a-z, 0-9, '_' and '.'");
    std::string table = model;
    std::replace(table.begin(), table.end(), '.', '_');

    // Columns, their types, and the table each single-column foreign key points to.
    // (Statements and their parameters are named locals: g++ 12 cannot keep a braced list's
    // array alive across a co_await.)
    std::string const columns_sql =
        "SELECT a.attname, t.typname,"
        "       (SELECT r.relname FROM pg_constraint k JOIN pg_class r ON r.oid = k.confrelid"
        "         WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.conkey = ARRAY[a.attnum] LIMIT 1)"
        "  FROM pg_class c"
        "  JOIN pg_namespace n ON n.oid = c.relnamespace"
        "  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
        "  JOIN pg_type t ON t.oid = a.atttypid"
        " WHERE c.relname = $1 AND c.relkind IN ('r', 'v', 'm', 'p')"
        "   AND n.nspname = ANY (current_schemas(false))"
        " ORDER BY a.attnum";
    pg::parameters table_name{table};
    auto columns = co_await c.query(columns_sql, std::move(table_name));
    if (columns.rows() == 0)
        throw bad_argument("unknown model '" + model + "': database '" + name() + "' has no table " + table);
    auto schema = std::make_shared<table_schema>();
    schema->model = model;
    schema->table = table;
    for (int row = 0; row < columns.rows(); ++row) {
        column_info column{std::string(columns.value(row, 0)), std::string(columns.value(row, 1)), std::nullopt};
        if (!columns.is_null(row, 2))
            column.many2one_table = std::string(columns.value(row, 2));
        schema->columns.push_back(std::move(column));
    }

    // In an Odoo database, ir_model_fields says which columns are many2one and to what.
    std::string const odoo_sql = "SELECT to_regclass('ir_model_fields') IS NOT NULL";
    auto odoo = co_await c.query(odoo_sql);
    if (odoo.value(0, 0) == "t") {
        std::string const fields_sql =
            "SELECT name, relation FROM ir_model_fields WHERE model = $1 AND ttype = 'many2one'";
        pg::parameters model_name{model};
        auto fields = co_await c.query(fields_sql, std::move(model_name));
        if (fields.rows() > 0) {
            for (auto& column : schema->columns)
                column.many2one_table.reset();
            for (int row = 0; row < fields.rows(); ++row) {
                std::string related(fields.value(row, 1));
                std::replace(related.begin(), related.end(), '.', '_');
                for (auto& column : schema->columns)
                    if (column.name == fields.value(row, 0))
                        column.many2one_table = related;
            }
        }
    }
    if (odoo.value(0, 0) == "t")
        co_await load_x2many(*schema, c);
    schemas_[model] = schema;
    schemas_by_table_[table] = schema;
    co_return schema;
}

asio::awaitable<void> database::load_x2many(table_schema& schema, cursor& c)
{
    // Stored many2many fields name their link table (Odoo 9+); the followers field of
    // mail.thread is computed, searched through mail_followers.
    std::string const columns_sql =
        "SELECT count(*) = 3 FROM pg_attribute WHERE attrelid = 'ir_model_fields'::regclass"
        "   AND attname IN ('relation_table', 'column1', 'column2') AND NOT attisdropped";
    auto has_columns = co_await c.query(columns_sql);
    if (has_columns.value(0, 0) != "t")
        co_return;
    std::string const fields_sql =
        "SELECT name, relation, relation_table, column1, column2,"
        "       to_regclass('mail_followers') IS NOT NULL"
        "  FROM ir_model_fields WHERE model = $1 AND ttype = 'many2many' ORDER BY name";
    pg::parameters model_name{schema.model};
    auto fields = co_await c.query(fields_sql, std::move(model_name));
    for (int row = 0; row < fields.rows(); ++row) {
        std::string name(fields.value(row, 0));
        std::string target(fields.value(row, 1));
        std::replace(target.begin(), target.end(), '.', '_');
        if (!fields.is_null(row, 2) && !fields.is_null(row, 3) && !fields.is_null(row, 4))
            schema.x2many.push_back({name, std::string(fields.value(row, 2)), std::string(fields.value(row, 3)),
                                     std::string(fields.value(row, 4)), target, std::nullopt});
        else if (name == "message_partner_ids" && fields.value(row, 5) == "t")
            schema.x2many.push_back({name, "mail_followers", "res_id", "partner_id", target, schema.model});
    }
}

pg::connection_parameters connection_parameters_for(connection_settings const& settings, std::string const& dbname,
                                                    std::string const& application_name, bool read_only)
{
    pg::connection_parameters p;
    if (!settings.host.empty()) {
        unsigned char buffer[16];
        if (settings.host.front() == '/')
            p.emplace_back("host", settings.host);
        else if (inet_pton(AF_INET, settings.host.c_str(), buffer) == 1
                 || inet_pton(AF_INET6, settings.host.c_str(), buffer) == 1)
            p.emplace_back("hostaddr", settings.host);
        else
            throw std::invalid_argument("db_host '" + settings.host
                                        + "' must be an IP address or a socket directory: host names would "
                                          "block the server thread on DNS");
    }
    if (!settings.port.empty())
        p.emplace_back("port", settings.port);
    if (!settings.user.empty())
        p.emplace_back("user", settings.user);
    if (!settings.password.empty())
        p.emplace_back("password", settings.password);
    p.emplace_back("dbname", dbname);
    p.emplace_back("application_name", application_name);
    p.emplace_back("client_encoding", "UTF8");
    // Session defaults: read-only unless told otherwise (each lease also says BEGIN READ
    // ONLY), a statement limit, and PostgreSQL's own backstop against a leaked transaction.
    p.emplace_back("options", std::string("-c default_transaction_read_only=") + (read_only ? "on" : "off")
                                  + " -c statement_timeout="
                                  + std::to_string(settings.statement_timeout.count())
                                  + " -c idle_in_transaction_session_timeout="
                                  + std::to_string(settings.idle_in_transaction_timeout.count()));
    return p;
}

database_set::database_set(asio::any_io_executor executor, std::vector<std::string> const& names,
                           connection_settings const& settings)
{
    for (auto const& name : names) {
        if (databases_.contains(name))
            continue;
        pool_settings pool;
        pool.database = name;
        pool.connection = connection_parameters_for(settings, name, "longpolling-server:" + name);
        pool.max_size = settings.max_cursor;
        pool.statement_timeout = settings.statement_timeout;
        pool_settings writer = pool;
        writer.connection = connection_parameters_for(settings, name, "longpolling-server-writer:" + name, false);
        writer.max_size = 1;
        writer.read_only = false;
        user_cache_settings users;
        users.check_every = settings.user_check_every;
        databases_.emplace(name, std::make_unique<database>(executor, std::move(pool), std::move(writer), users));
    }
}

database* database_set::find(std::string const& name)
{
    auto it = databases_.find(name);
    return it == databases_.end() ? nullptr : it->second.get();
}

void database_set::close()
{
    for (auto& [name, db] : databases_) {
        db->users().close();
        db->pool().close();
        db->writer().close();
    }
}

} // namespace lp::orm
