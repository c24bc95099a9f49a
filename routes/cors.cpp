#include "routes/cors.hpp"

#include "routes/outgoing_response.hpp"

#include <algorithm>
#include <cctype>

namespace lp::cors {
namespace {
/// The host name of "host[:port]" or "[v6]:port", lower case.
std::string host_name(std::string_view authority)
{
    auto const end = authority.starts_with('[') ? authority.find(']') + 1 : authority.find(':');
    std::string name(authority.substr(0, end == std::string_view::npos ? authority.size() : end));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    return name;
}
} // namespace

void allow_any_origin(header_list& headers) { headers.emplace_back("Access-Control-Allow-Origin", "*"); }

outgoing_response preflight(std::string_view allowed_headers)
{
    outgoing_response out;
    out.status = 204;
    out.content_type = "text/plain";
    out.headers = {{"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
                   {"Access-Control-Allow-Headers", std::string(allowed_headers)},
                   {"Access-Control-Max-Age", "86400"}};
    return out;
}

bool same_host(std::string_view origin, std::string_view host)
{
    auto const scheme_end = origin.find("://");
    if (scheme_end == std::string_view::npos || host.empty())
        return false; // "null" (a sandboxed page, a file) is nobody's host
    auto const name = host_name(origin.substr(scheme_end + 3));
    return !name.empty() && name == host_name(host);
}

origin_policy::origin_policy(std::vector<std::string> origins) : origins_(std::move(origins))
{
    any_ = std::find(origins_.begin(), origins_.end(), "*") != origins_.end();
}

bool origin_policy::listed(std::string const& origin) const
{
    return !origin.empty() && std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

void origin_policy::add_headers(header_list& headers, std::string const& origin) const
{
    if (any_) {
        allow_any_origin(headers);
    }
    else if (listed(origin)) {
        headers.emplace_back("Access-Control-Allow-Origin", origin);
        headers.emplace_back("Access-Control-Allow-Credentials", "true");
        headers.emplace_back("Vary", "Origin");
    }
}

bool origin_policy::trusts_cookies(std::string const& origin, std::string_view host) const
{
    return origin.empty() || same_host(origin, host) || (!any_ && listed(origin));
}

} // namespace lp::cors
