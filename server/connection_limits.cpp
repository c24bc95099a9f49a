#include "server/connection_limits.hpp"

#include <boost/asio/ip/address.hpp>

namespace lp {

std::string client_address(boost::beast::http::fields const& header, std::string const& peer, bool proxy_mode)
{
    if (!proxy_mode)
        return peer;
    auto const forwarded = header["X-Forwarded-For"];
    if (forwarded.empty())
        return peer;
    std::string_view last = forwarded;
    if (auto const comma = last.rfind(','); comma != std::string_view::npos)
        last.remove_prefix(comma + 1);
    while (!last.empty() && (last.front() == ' ' || last.front() == '\t'))
        last.remove_prefix(1);
    while (!last.empty() && (last.back() == ' ' || last.back() == '\t'))
        last.remove_suffix(1);
    boost::system::error_code ec;
    auto const address = boost::asio::ip::make_address(std::string(last), ec);
    return ec ? peer : address.to_string();
}

bool address_counts::admit(std::string const& address)
{
    auto& count = counts_[address];
    if (limit_ != 0 && count >= limit_) {
        if (count == 0)
            counts_.erase(address);
        return false;
    }
    ++count;
    return true;
}

void address_counts::release(std::string const& address)
{
    auto it = counts_.find(address);
    if (it != counts_.end() && --it->second == 0)
        counts_.erase(it);
}

} // namespace lp
