// Where a load generator's client connects from: 127.0.0.(2 + index % K), so that N clients are
// not bounded by one source address's ephemeral ports.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <cstddef>

namespace bench {

/// Opens `socket` and binds it to client `index`'s source address among `addresses`, leaving
/// the port to connect() (IP_BIND_ADDRESS_NO_PORT: each address then offers the whole
/// ephemeral range to the one destination); no Nagle delay. Sets `ec` on failure.
void open_from_source(boost::asio::ip::tcp::socket& socket, std::size_t index, int addresses,
                      boost::system::error_code& ec);

} // namespace bench
