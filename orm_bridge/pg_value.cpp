#include "orm_bridge/pg_value.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <charconv>
#include <cstdlib>
#include <string>

namespace lp::orm {
namespace {
boost::json::value integer(std::string_view text)
{
    std::int64_t n = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error == std::errc{} && end == text.data() + text.size())
        return n;
    return boost::json::string(text); // beyond int64 (numeric): keep the digits
}

boost::json::value floating(std::string_view text)
{
    std::string copy(text); // strtod needs a terminated string
    char* end = nullptr;
    double const d = std::strtod(copy.c_str(), &end);
    if (end == copy.c_str() + copy.size())
        return d;
    return boost::json::string(text); // NaN/Infinity spelled by PostgreSQL
}

boost::json::value parsed_json(std::string_view text)
{
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec)
        return boost::json::string(text);
    return v;
}
} // namespace

boost::json::value odoo_value(std::string_view type, bool is_null, std::string_view text)
{
    if (is_null)
        return false;
    if (type == "int2" || type == "int4" || type == "int8" || type == "oid")
        return integer(text);
    if (type == "float4" || type == "float8" || type == "numeric" || type == "money")
        return floating(text);
    if (type == "bool")
        return text == "t";
    if (type == "json" || type == "jsonb")
        return parsed_json(text);
    if (type == "timestamp" || type == "timestamptz") {
        // "2024-05-01 10:00:00.123456" -> "2024-05-01 10:00:00", as Odoo formats datetimes.
        return boost::json::string(text.substr(0, std::min<std::size_t>(text.size(), 19)));
    }
    return boost::json::string(text);
}

boost::json::value plain_value(Oid type, bool is_null, std::string_view text)
{
    if (is_null)
        return nullptr;
    switch (type) {
    case 16: return text == "t";                             // bool
    case 20: case 21: case 23: case 26: return integer(text); // int8, int2, int4, oid
    case 700: case 701: case 1700: return floating(text);     // float4, float8, numeric
    case 114: case 3802: return parsed_json(text);            // json, jsonb
    default: return boost::json::string(text);
    }
}

boost::json::array rows_as_objects(pg::result const& r)
{
    boost::json::array rows;
    rows.reserve(static_cast<std::size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) {
        boost::json::object item;
        for (int column = 0; column < r.columns(); ++column)
            item[r.column_name(column)] = plain_value(r.column_type(column), r.is_null(row, column), r.value(row, column));
        rows.push_back(std::move(item));
    }
    return rows;
}

} // namespace lp::orm
