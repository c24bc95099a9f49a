// Compiles Boost.Asio once for the whole program (BOOST_ASIO_SEPARATE_COMPILATION): without
// it every file that includes Asio would compile it again, which costs minutes on 2 cores.
#include <boost/asio/impl/src.hpp>
