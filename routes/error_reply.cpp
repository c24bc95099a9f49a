#include "routes/error_reply.hpp"

#include "orm_bridge/errors.hpp"
#include "orm_bridge/pg_error.hpp"
#include "routes/errors.hpp"

namespace lp {
namespace {
/// PostgreSQL's verdict, by SQLSTATE: a value the client sent that does not fit (class 22, 400),
/// a write on a read-only cursor (403), a statement past its time (408), the database going
/// away (503), else ours (500, logged). Class 42 (syntax, undefined table or column) is ours
/// too: every statement is written by the server or a handler, never by the client, so bad
/// SQL or a missing bus_bus is a bug or a broken installation, not a bad request.
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
    if (state.starts_with("22"))
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
    catch (orm::bad_argument const& e) {
        return {400, "werkzeug.exceptions.BadRequest", e.what(), std::nullopt};
    }
    catch (orm::access_denied const& e) {
        return {403, "odoo.exceptions.AccessError", e.what(), std::nullopt};
    }
    catch (orm::unavailable const& e) {
        return {503, "werkzeug.exceptions.ServiceUnavailable", e.what(), std::chrono::seconds(1)};
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
