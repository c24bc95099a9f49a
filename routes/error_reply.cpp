#include "routes/error_reply.hpp"

#include "routes/errors.hpp"

namespace lp {

error_reply describe_error(std::exception_ptr error) noexcept
{
    try {
        std::rethrow_exception(error);
    }
    catch (service_unavailable const& e) {
        return {e.status(), e.name(), e.what(), e.retry_after()};
    }
    catch (http_error const& e) {
        return {e.status(), e.name(), e.what(), std::nullopt};
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
