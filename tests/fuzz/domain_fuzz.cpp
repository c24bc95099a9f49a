// An Odoo domain (JSON) and an order spec (separated by a NUL byte), compiled to SQL against a
// table with a column of every type class: either SQL with bound parameters or bad_argument (a 400).
#include "fuzz_input.hpp"
#include "orm_bridge/domain.hpp"
#include "orm_bridge/errors.hpp"

#include <boost/json/parse.hpp>

#include <optional>

namespace {

lp::orm::table_schema const& schema()
{
    static lp::orm::table_schema const table{
        "res.partner",
        "res_partner",
        {
            {"id", "int4", std::nullopt},
            {"name", "varchar", std::nullopt},
            {"active", "bool", std::nullopt},
            {"parent_id", "int4", "res_partner"},
            {"small", "int2", std::nullopt},
            {"big", "int8", std::nullopt},
            {"ratio", "float8", std::nullopt},
            {"credit", "numeric", std::nullopt},
            {"code", "bpchar", std::nullopt},
            {"body", "text", std::nullopt},
            {"day", "date", std::nullopt},
            {"stamp", "timestamptz", std::nullopt},
            {"create_date", "timestamp", std::nullopt},
            {"data", "jsonb", std::nullopt},
            {"uid", "uuid", std::nullopt},
        },
    };
    return table;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    auto const [domain_text, order] = lp::fuzz::split_at_nul(lp::fuzz::text(data, size));
    boost::system::error_code ec;
    auto const domain = boost::json::parse(domain_text, ec);
    if (!ec) {
        (void)lp::orm::domain_mentions(domain, "active");
        lp::orm::sql_fragment out;
        try {
            (void)lp::orm::compile_domain(domain, schema(), out);
        }
        catch (lp::orm::bad_argument const&) {
        }
    }
    try {
        (void)lp::orm::compile_order(order, schema());
    }
    catch (lp::orm::bad_argument const&) {
    }
    return 0;
}
