// One PostgreSQL result set (text format), owned.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string_view>

namespace lp::orm::pg {

class result {
public:
    result() = default;
    explicit result(PGresult* r) : r_(r, &PQclear) {}

    int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
    int columns() const { return r_ ? PQnfields(r_.get()) : 0; }
    bool is_null(int row, int column) const { return PQgetisnull(r_.get(), row, column) != 0; }
    std::string_view value(int row, int column) const
    {
        return {PQgetvalue(r_.get(), row, column), static_cast<std::size_t>(PQgetlength(r_.get(), row, column))};
    }
    std::string_view column_name(int column) const { return PQfname(r_.get(), column); }
    Oid column_type(int column) const { return PQftype(r_.get(), column); }
    /// Rows affected by the command (as text, e.g. "3"), empty for queries.
    std::string_view command_tuples() const { return PQcmdTuples(r_.get()); }

private:
    std::unique_ptr<PGresult, void (*)(PGresult*)> r_{nullptr, &PQclear};
};

} // namespace lp::orm::pg
