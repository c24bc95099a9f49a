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

/// A many2many (or Odoo's computed followers field) as a link table: the records of this
/// table whose id is in `link_table`.`owner_column` next to a `target_column` that matches.
struct x2many_info {
    std::string name;           ///< field name, e.g. "company_ids"
    std::string link_table;     ///< "res_company_users_rel", or "mail_followers"
    std::string owner_column;   ///< "user_id" (the id of this table's record), or "res_id"
    std::string target_column;  ///< "cid" (the id of the related record), or "partner_id"
    std::string target_table;   ///< "res_company"
    std::optional<std::string> link_model; ///< mail_followers.res_model must equal this model
};

struct table_schema {
    std::string model;                 ///< "res.users"
    std::string table;                 ///< "res_users"
    std::vector<column_info> columns;  ///< in the table's column order
    std::vector<x2many_info> x2many{}; ///< many2many fields known from ir_model_fields

    x2many_info const* find_x2many(std::string_view field) const
    {
        for (auto const& f : x2many)
            if (f.name == field)
                return &f;
        return nullptr;
    }

    column_info const* find(std::string_view column) const
    {
        for (auto const& c : columns)
            if (c.name == column)
                return &c;
        return nullptr;
    }
};

} // namespace lp::orm
