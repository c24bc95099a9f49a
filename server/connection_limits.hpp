// Who a connection belongs to, and how many each client may hold: the per-address count
// behind max_connections_per_ip, and the client address itself (X-Forwarded-For's last entry
// with proxy_mode, as Odoo's ProxyFix reads it; the peer's address otherwise).
#pragma once

#include <boost/beast/http/fields.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lp {

/// The address the request comes from: with `proxy_mode`, the last entry of its
/// X-Forwarded-For (the one the nearest proxy added) when it looks like an IP address;
/// otherwise `peer`.
std::string client_address(boost::beast::http::fields const& header, std::string const& peer, bool proxy_mode);

/// Connections per client address.
class address_counts {
public:
    /// `limit` 0: no limit.
    explicit address_counts(std::size_t limit) : limit_(limit) {}

    /// Counts one more connection from `address`; false (nothing counted) when it has `limit` already.
    bool admit(std::string const& address);
    /// Forgets one connection from `address` (admitted earlier).
    void release(std::string const& address);

private:
    std::size_t limit_;
    std::unordered_map<std::string, std::size_t> counts_;
};

} // namespace lp
