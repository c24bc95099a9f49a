// The servers the official conformance suites expect (their READMEs): an Engine.IO server
// echoing every message, and Socket.IO namespaces "/" and "/custom" that emit the auth
// payload on connect, echo "message" as "message-back" and ack "message-with-ack".
#pragma once

#include "routes/socketio/engineio_server.hpp"
#include "routes/socketio/socketio_server.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>

namespace lp::conformance {

std::unique_ptr<eio::application> engineio_echo();
std::unique_ptr<sio::name_space> main_namespace(boost::asio::any_io_executor executor);
std::unique_ptr<sio::name_space> custom_namespace(boost::asio::any_io_executor executor);

} // namespace lp::conformance
