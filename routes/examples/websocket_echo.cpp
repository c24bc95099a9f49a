// Example WebSocket endpoint: <longpolling_path>/ws/echo sends every text message back.
// Served with the example routes (scripts/run, the tests); Odoo's /websocket is in bus/.
#include "routes/websocket.hpp"

#include <string>

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
    // ?greeting=TEXT is sent first, ?close=CODE closes at once: an open function may send and
    // close before the 101 is even written (as Odoo's "OUTDATED_VERSION" does).
    if (request.query.starts_with("greeting="))
        session.send_text(request.query.substr(9));
    else if (request.query.starts_with("close="))
        session.close(static_cast<std::uint16_t>(std::stoi(request.query.substr(6))), "closed by the open function");
    return std::make_unique<echo_handler>();
}

} // namespace
