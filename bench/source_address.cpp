#include "bench/source_address.hpp"

#include <boost/asio/ip/address_v4.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace bench {

void open_from_source(boost::asio::ip::tcp::socket& socket, std::size_t index, int addresses,
                      boost::system::error_code& ec)
{
    socket.open(boost::asio::ip::tcp::v4(), ec);
    if (ec)
        return;
    int one = 1;
    ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto const source =
        boost::asio::ip::address_v4((127u << 24) | static_cast<unsigned>(2 + index % static_cast<std::size_t>(addresses)));
    socket.bind(boost::asio::ip::tcp::endpoint(source, 0), ec);
}

} // namespace bench
