// What an http-mode handler returns: a body, a status and a content type.
#pragma once

#include <string>

namespace lp {

/// What an http-mode handler returns.
struct http_reply {
    std::string body;
    unsigned status = 200;
    std::string content_type = "text/html; charset=utf-8";

    http_reply() = default;
    http_reply(std::string body_, unsigned status_ = 200,
               std::string content_type_ = "text/html; charset=utf-8")
        : body(std::move(body_)), status(status_), content_type(std::move(content_type_)) {}
    http_reply(char const* body_) : body(body_) {}
};

} // namespace lp
