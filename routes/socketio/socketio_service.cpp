#include "routes/socketio/socketio_service.hpp"

#include "routes/socketio/conformance.hpp"
#include "routes/socketio/namespace.hpp"

namespace lp {
namespace {
/// An Engine.IO server's WebSocket endpoint at `path` (outside longpolling_path); requests
/// without an Upgrade header go to its long-polling side.
websocket_definition endpoint(std::string_view name, std::string const& path, eio::server& engine)
{
    websocket_definition d;
    d.name = name;
    d.path = path;
    d.open = [&engine](websocket_session& ws, websocket_request const& request) {
        return engine.open_websocket(ws, request);
    };
    d.prefixed = false;
    d.shares_path_with_http = true;
    return d;
}
} // namespace

socketio_service::socketio_service(boost::asio::any_io_executor executor, socketio_settings config)
    : executor_(executor), config_(std::move(config)), socketio_(std::make_unique<sio::server>(executor, config_.socketio)),
      engine_(std::make_unique<eio::server>(executor, config_.engine, *socketio_)),
      board_(executor, config_.listen_channel)
{
    if (config_.conformance) {
        echo_ = conformance::engineio_echo();
        echo_engine_ = std::make_unique<eio::server>(executor, config_.engine, *echo_);
        socketio_->add(conformance::main_namespace(executor));
        socketio_->add(conformance::custom_namespace(executor));
    }
}

socketio_service::~socketio_service() = default;

std::vector<websocket_definition> socketio_service::websockets() const
{
    std::vector<websocket_definition> all{endpoint("socketio", config_.path, *engine_)};
    if (echo_engine_)
        all.push_back(endpoint("engineio_echo", echo_path_, *echo_engine_));
    return all;
}

void socketio_service::serve_polling(dispatcher& requests)
{
    requests.serve_raw(config_.path, [this](incoming_request const& in) { return engine_->handle_http(in); });
    if (echo_engine_)
        requests.serve_raw(echo_path_, [this](incoming_request const& in) { return echo_engine_->handle_http(in); });
}

void socketio_service::add_declared_namespaces(services const& shared, orm::session_store& sessions,
                                               std::chrono::steady_clock::duration timeout, bool examples)
{
    for (auto const& definition : socketio::defined_namespaces()) {
        if (definition.route_set == "examples" && !examples)
            continue;
        auto ns = std::make_unique<socketio::odoo_namespace>(std::string(definition.path), executor_, shared, sessions,
                                                             timeout, &board_);
        definition.setup(*ns);
        socketio_->add(std::move(ns));
    }
    // web_longpolling's namespace, always there (as the seed's module), with the LONGPOLLING_ON events.
    std::vector<socketio::longpolling_event> events;
    for (auto const& e : socketio::defined_longpolling_events())
        if (e.route_set != "examples" || examples)
            events.push_back(e);
    auto ns = std::make_unique<socketio::odoo_namespace>(std::string(socketio::longpolling_namespace_path), executor_,
                                                         shared, sessions, timeout, &board_);
    socketio::add_longpolling_events(*ns, events);
    socketio_->add(std::move(ns));
}

void socketio_service::listen(orm::database_set& databases, orm::connection_settings const& connection)
{
    for (auto const& [name, db] : databases.all()) {
        orm::listener_settings settings;
        settings.name = name;
        settings.channel = config_.listen_channel;
        settings.connection = orm::connection_parameters_for(connection, name, "longpolling-server-socketio:" + name);
        listeners_.push_back(std::make_unique<orm::listener>(
            executor_, settings, [this, name](std::string const& payload) { board_.notified(name, payload); },
            [] {}));
        listeners_.back()->start();
    }
}

void socketio_service::stop()
{
    for (auto& l : listeners_)
        l->stop();
    engine_->close_all();
    if (echo_engine_)
        echo_engine_->close_all();
}

} // namespace lp
