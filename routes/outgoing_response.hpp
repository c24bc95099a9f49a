// The response the transport writes.
#pragma once

#include "routes/cors.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lp {

class deferred_reply;

struct outgoing_response {
    unsigned status = 200;
    std::string content_type;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers; ///< extra headers (Allow, Retry-After, CORS)
    /// Set when the reply comes later (a parked bus poll): the transport parks the connection
    /// on it instead of writing now.
    std::shared_ptr<deferred_reply> deferred;
};

/// What a deferred reply hands the transport once it is ready: a whole response (an error),
/// or a JSON result (status 200, application/json) whose body is open + result + close. The
/// latter is written straight into the transport's buffer: a fan-out builds no response object
/// per poll, and copies the rows' text, shared by all the polls it answers, once per reply.
struct ready_reply {
    outgoing_response const* response = nullptr; ///< set: this response; else the JSON result below
    bool cors = false;                            ///< Access-Control-Allow-Origin: *
    std::string_view open, result_json, close;

    /// The same as one response object (tests, and transports without a gathering buffer).
    outgoing_response to_response() const
    {
        if (response)
            return *response;
        outgoing_response out;
        out.content_type = "application/json";
        out.body.reserve(open.size() + result_json.size() + close.size());
        out.body.append(open).append(result_json).append(close);
        if (cors)
            cors::allow_any_origin(out.headers);
        return out;
    }
};

} // namespace lp
