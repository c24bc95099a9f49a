// The response the transport writes.
#pragma once

#include <memory>
#include <string>
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

} // namespace lp
