// Engine.IO's I/O shell on its own: what the application hears, and when.
#include "routes/socketio/engineio_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

namespace {
namespace eio = lp::eio;

/// Remembers its session, and whether a close came while it was inside send().
struct recorder final : eio::application {
    void on_open(eio::connection& c) override { opened = &c; }
    void on_message(eio::connection&, std::string_view, bool) override {}
    void on_close(eio::connection&, eio::close_reason reason) override
    {
        closed = true;
        closed_inside_send = sending;
        why = reason;
    }
    eio::connection* opened = nullptr;
    bool sending = false;
    bool closed = false;
    bool closed_inside_send = false;
    eio::close_reason why = eio::close_reason::none;
};

lp::incoming_request handshake()
{
    lp::incoming_request in;
    in.method = "GET";
    in.target = "/socket.io/?EIO=4&transport=polling";
    return in;
}
} // namespace

BOOST_AUTO_TEST_SUITE(engineio_server)

BOOST_AUTO_TEST_CASE(a_send_that_closes_its_session_is_heard_after_the_call)
{
    boost::asio::io_context io;
    recorder app;
    eio::server_settings config;
    config.max_queued = 10; // a polling client that does not poll: its backlog closes it
    eio::server server(io.get_executor(), config, app);
    BOOST_TEST(server.handle_http(handshake()).status == 200u);
    BOOST_REQUIRE(app.opened);

    app.sending = true;
    app.opened->send("more than ten bytes");
    app.opened->send("and more"); // closed already: ignored, still not heard here
    app.sending = false;
    BOOST_TEST(!app.closed);
    io.run();
    BOOST_TEST(app.closed);
    BOOST_TEST(!app.closed_inside_send);
    BOOST_TEST((app.why == eio::close_reason::transport_error));
    BOOST_TEST(server.sessions() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
