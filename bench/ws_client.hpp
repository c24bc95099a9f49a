// The WebSocket subscribers: each client upgrades its connection (RFC 6455 handshake), sends
// the target's subscribe message as a masked text frame, then reads the server's frames for
// as long as the run lasts, answering pings. All of them on the fleet's one Asio thread.
#pragma once

#include "bench/subscriber_fleet.hpp"
#include "server/websocket_frame.hpp"

#include <functional>
#include <string_view>

namespace bench {

class ws_fleet final : public subscriber_fleet {
public:
    /// Called for every text message, read by the target.
    using on_message_fn = std::function<void(client&, answer const&)>;

    ws_fleet(boost::asio::io_context& io, target& t, options const& o, std::size_t count, on_message_fn on_message);

    /// The WebSockets the target holds subscribed.
    std::optional<std::size_t> held_by_server(std::size_t) override { return target_.websockets_held(); }

private:
    boost::asio::awaitable<void> run(client& c, cursor from) override;
    /// Sends the upgrade request and reads the 101 answer; false (counted) on failure.
    boost::asio::awaitable<bool> upgrade(client& c);
    /// Sends one masked frame; false (counted) on failure.
    boost::asio::awaitable<bool> send(client& c, lp::ws::opcode op, std::string_view payload);
    /// Handles the complete frames in the client's buffer, read at `at_ns`; false once the
    /// connection is over (closed by the server, or a frame this client does not expect).
    boost::asio::awaitable<bool> handle_frames(client& c, std::int64_t at_ns);

    on_message_fn on_message_;
    std::string upgrade_request_;
};

/// One unmasked frame from a server, as found at the start of a buffer.
struct server_frame {
    enum class status { incomplete, complete, invalid };
    int opcode = 0;
    bool fin = false;
    std::string_view payload;
    std::size_t size = 0; ///< header and payload
};

/// Reads the frame at the start of `data` (a server's frames are never masked).
server_frame::status parse_server_frame(std::string_view data, server_frame& frame);

} // namespace bench
