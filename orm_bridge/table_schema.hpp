// What the server knows of one OpenERP/Odoo model's table: its columns and their types,
// read from PostgreSQL's catalog (and ir_model_fields when the database is an Odoo one).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lp::orm {

struct column_info {
    std::string name;                          ///< column name, e.g. "partner_id"
    std::string pg_type;                       ///< PostgreSQL udt name: int4, int8, varchar, text, bool,
                                               ///< timestamp, date, float8, numeric, jsonb, ...
    std::optional<std::string> many2one_table; ///< the related table, when the column is a many2one
};

struct table_schema {
    std::string model;                 ///< "res.users"
    std::string table;                 ///< "res_users"
    std::vector<column_info> columns;  ///< in the table's column order

    column_info const* find(std::string_view column) const
    {
        for (auto const& c : columns)
            if (c.name == column)
                return &c;
        return nullptr;
    }
};

} // namespace lp::orm
