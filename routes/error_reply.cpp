#include "routes/error_reply.hpp"

#include "orm_bridge/pg_error.hpp"
#include "routes/errors.hpp"

namespace lp {
namespace {
/// PostgreSQL's verdict, by SQLSTATE: the client's fault (400), a write on a read-only cursor
/// (403), a statement past its time (408), the database going away (503), else ours (500).
error_reply describe_database_error(orm::pg::error const& e)
{
    auto const& state = e.sqlstate();
    std::string const message = e.what();
    if (e.connection_unusable())
        return {503, "werkzeug.exceptions.ServiceUnavailable", "database unavailable: " + message,
                std::chrono::seconds(1)};
    if (state == "25006")
        return {403, "odoo.exceptions.AccessError",
                "the long-polling server's cursors are read-only: " + message, std::nullopt};
    if (state == "57014")
        return {408, "werkzeug.exceptions.RequestTimeout", "the statement ran past its time: " + message,
                std::nullopt};
    if (state.starts_with("22") || state.starts_with("42"))
        return {400, "werkzeug.exceptions.BadRequest", message, std::nullopt};
    return {500, "werkzeug.exceptions.InternalServerError", message, std::nullopt, true};
}
} // namespace

error_reply describe_error(std::exception_ptr error) noexcept
{
    try {
        std::rethrow_exception(error);
    }
    catch (retryable_error const& e) {
        return {e.status(), e.name(), e.what(), e.retry_after()};
    }
    catch (http_error const& e) {
        return {e.status(), e.name(), e.what(), std::nullopt};
    }
    catch (orm::pg::error const& e) {
        return describe_database_error(e);
    }
    catch (std::bad_alloc const&) {
        return {503, "werkzeug.exceptions.ServiceUnavailable", "the server is out of memory",
                std::chrono::seconds(5), true};
    }
    catch (std::exception const& e) {
        return {500, "werkzeug.exceptions.InternalServerError", e.what(), std::nullopt, true};
    }
    catch (...) {
        return {500, "werkzeug.exceptions.InternalServerError", "unknown error", std::nullopt, true};
    }
}

} // namespace lp
