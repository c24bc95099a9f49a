// CORS in one place: the headers that let a page of another origin read a response, the
// preflight's answer, and whether a request's cookies may speak for the user.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lp {

struct outgoing_response;

namespace cors {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// A response any origin may read, without credentials (a route's `cors` option).
void allow_any_origin(header_list& headers);

/// The answer (204) to a browser's preflight: GET, POST and OPTIONS, with `allowed_headers`.
outgoing_response preflight(std::string_view allowed_headers);

/// True when `origin` (an Origin header) names the host of `host` (a Host header); ports
/// are ignored, as the browser's cookies ignore them.
bool same_host(std::string_view origin, std::string_view host);

/// Which origins may call cross-origin (socketio_cors_origins): "*" (any, without
/// credentials), or exact origins answered with credentials; none when empty.
class origin_policy {
public:
    explicit origin_policy(std::vector<std::string> origins);

    /// The CORS headers of a response to a request from `origin` ("" when it sent none).
    void add_headers(header_list& headers, std::string const& origin) const;
    /// Whether a request's cookies may speak for the user: it has no Origin (no browser page
    /// of another site sent it), comes from the server's own host, or from an origin allowed
    /// with credentials. Otherwise a page of any site could act as its visitor.
    bool trusts_cookies(std::string const& origin, std::string_view host) const;

private:
    bool listed(std::string const& origin) const;

    std::vector<std::string> origins_;
    bool any_ = false;
};

} // namespace cors
} // namespace lp
