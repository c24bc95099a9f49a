// Example WebSocket endpoint: <longpolling_path>/ws/echo sends every text message back.
// Served with the example routes (scripts/run, the tests); Odoo's /websocket is in bus/.
#include "routes/websocket.hpp"

namespace {

struct echo_handler final : lp::websocket_handler {
    void on_message(lp::websocket_session& session, std::string_view data, bool binary) override
    {
        if (binary)
            session.close(1003, "only text is echoed");
        else
            session.send_text(data);
    }
};

LONGPOLLING_WEBSOCKET(echo, "/ws/echo")
{
    // ?greeting=... is sent first: an open function may send at once.
    if (request.query.starts_with("greeting="))
        session.send_text(request.query.substr(9));
    return std::make_unique<echo_handler>();
}

} // namespace
