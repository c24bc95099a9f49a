// Socket.IO as the server serves it: an Engine.IO server at socketio_path (long-polling
// through the dispatcher, WebSocket through the WebSocket endpoints) carrying Socket.IO's
// namespaces; with socketio_conformance, also the official test suites' echo servers.
#pragma once

#include "routes/dispatcher.hpp"
#include "orm_bridge/database.hpp"
#include "orm_bridge/listener.hpp"
#include "orm_bridge/session.hpp"
#include "routes/socketio/adapters.hpp"
#include "routes/socketio/engineio_server.hpp"
#include "routes/socketio/socketio_server.hpp"
#include "routes/websocket.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace lp {

struct socketio_settings {
    std::string path = "/socket.io/";
    eio::server_settings engine;
    sio::server_settings socketio;
    /// Serves the conformance suites' servers: an Engine.IO echo at /engine.io/, and the
    /// Socket.IO suite's "/" and "/custom" namespaces.
    bool conformance = false;
    /// The PostgreSQL channel the adapters' notifications come on.
    std::string listen_channel = "socketio";
};

class socketio_service {
public:
    socketio_service(boost::asio::any_io_executor executor, socketio_settings config);
    ~socketio_service();

    /// The WebSocket endpoints to add to the server's (valid as long as this object).
    std::vector<websocket_definition> websockets() const;
    /// Has `requests` hand the long-polling requests over.
    void serve_polling(dispatcher& requests);
    /// Where namespaces are added.
    sio::server& namespaces() { return *socketio_; }
    /// Adds the namespaces declared with LONGPOLLING_NAMESPACE and web_longpolling's
    /// "/namespace" with the LONGPOLLING_ON events (the "examples" set only when `examples`);
    /// their handlers read through `shared` and find sessions in `sessions`.
    /// Errors: std::invalid_argument when a path is taken twice.
    void add_declared_namespaces(services const& shared, orm::session_store& sessions,
                                 std::chrono::steady_clock::duration timeout, bool examples);
    /// LISTENs on the listen channel of every database in `databases` (for the adapters).
    void listen(orm::database_set& databases, orm::connection_settings const& connection);
    /// Ends every session and listener (shutdown).
    void stop();

private:
    boost::asio::any_io_executor executor_;
    socketio_settings config_;
    std::string echo_path_ = "/engine.io/";
    std::unique_ptr<sio::server> socketio_;
    std::unique_ptr<eio::server> engine_;
    std::unique_ptr<eio::application> echo_;
    std::unique_ptr<eio::server> echo_engine_;
    socketio::message_board board_;
    std::vector<std::unique_ptr<orm::listener>> listeners_;
};

} // namespace lp
