#include "orm_bridge/pg_error.hpp"

namespace lp::orm::pg {
namespace {
struct pg_category final : boost::system::error_category {
    char const* name() const noexcept override { return "postgresql"; }
    std::string message(int value) const override
    {
        switch (static_cast<errc>(value)) {
        case errc::connection_failed: return "cannot connect to PostgreSQL";
        case errc::connection_lost: return "the PostgreSQL connection was lost";
        case errc::query_failed: return "PostgreSQL refused the statement";
        case errc::timeout: return "PostgreSQL did not answer in time";
        case errc::cancelled: return "the PostgreSQL operation was cancelled";
        case errc::protocol: return "unexpected reply from PostgreSQL";
        }
        return "unknown PostgreSQL error";
    }
};
} // namespace

boost::system::error_category const& category() noexcept
{
    static pg_category const instance;
    return instance;
}

boost::system::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

bool error::connection_unusable() const noexcept
{
    if (code_ != make_error_code(errc::query_failed))
        return true;
    return sqlstate_.starts_with("08") || sqlstate_ == "57P01" || sqlstate_ == "57P02" || sqlstate_ == "57P03"
        || sqlstate_ == "25P03";
}

} // namespace lp::orm::pg
