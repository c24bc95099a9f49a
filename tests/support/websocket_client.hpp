// Test support: a WebSocket client over a plain socket, so tests control every byte of the
// handshake and of the frames (masked or not, malformed on purpose).
#pragma once

#include "server/websocket_frame.hpp"
#include "tests/support/http_client.hpp"

#include <optional>
#include <string>

namespace lp::test {

/// A frame as the server sent it.
struct server_frame {
    ws::opcode op;
    bool fin;
    std::string payload;

    /// A close frame's code (1005 when it carries none).
    std::uint16_t close_code() const
    {
        if (payload.size() < 2)
            return ws::close_code::no_status;
        return static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]));
    }
};

inline std::string handshake_request(std::string const& target, std::string const& extra_headers = "")
{
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
           + extra_headers + "\r\n";
}

class websocket_client {
public:
    /// Connects and upgrades; throws std::runtime_error unless the server answers 101.
    explicit websocket_client(std::uint16_t port, std::string const& target = "/openerplongpolling/ws/echo",
                              std::chrono::seconds read_timeout = std::chrono::seconds(10),
                              std::string const& extra_headers = "")
        : connection_(port, read_timeout)
    {
        connection_.send(handshake_request(target, extra_headers));
        auto response = connection_.read_response();
        if (response.status != 101)
            throw std::runtime_error("handshake refused: " + std::to_string(response.status) + " " + response.body);
        handshake_ = std::move(response);
    }

    http_response const& handshake() const { return handshake_; }

    /// Sends raw bytes (a frame built with ws::append_frame, or anything else).
    void send_raw(std::string const& bytes) { connection_.send(bytes); }

    /// Sends a masked frame.
    void send(ws::opcode op, std::string_view payload, bool fin = true)
    {
        static constexpr std::array<unsigned char, 4> mask{0x12, 0x34, 0x56, 0x78};
        std::string bytes;
        ws::append_frame(bytes, op, payload, fin, &mask);
        connection_.send(bytes);
    }
    void send_text(std::string_view text) { send(ws::opcode::text, text); }

    /// The next frame, or nullopt when the connection ended (or the read timed out) first.
    std::optional<server_frame> read_frame()
    {
        auto head = connection_.read_bytes(2);
        if (!head)
            return std::nullopt;
        auto const first = static_cast<unsigned char>((*head)[0]);
        auto const second = static_cast<unsigned char>((*head)[1]);
        if (second & 0x80)
            throw std::runtime_error("the server sent a masked frame");
        std::uint64_t length = second & 0x7F;
        if (length >= 126) {
            auto extended = connection_.read_bytes(length == 126 ? 2 : 8);
            if (!extended)
                return std::nullopt;
            length = 0;
            for (char c : *extended)
                length = (length << 8) | static_cast<unsigned char>(c);
        }
        auto payload = connection_.read_bytes(static_cast<std::size_t>(length));
        if (!payload)
            return std::nullopt;
        return server_frame{static_cast<ws::opcode>(first & 0x0F), (first & 0x80) != 0, std::move(*payload)};
    }

    /// Reads frames until a close frame, skipping others; nullopt when none came.
    std::optional<server_frame> read_until_close()
    {
        while (auto frame = read_frame())
            if (frame->op == ws::opcode::close)
                return frame;
        return std::nullopt;
    }

    /// True when the server has closed the TCP connection (EOF) within the read timeout.
    bool closed_by_peer() { return connection_.closed_by_peer(); }

private:
    http_connection connection_;
    http_response handshake_;
};

} // namespace lp::test
