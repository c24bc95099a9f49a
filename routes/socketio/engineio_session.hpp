// One Engine.IO session as a state machine, without sockets or timers: the I/O shell
// (engineio_server) feeds it what arrived (a poll, a POST body, a WebSocket frame, the
// heartbeat timer) and writes what it says to write. Table-driven tests drive it alone.
#pragma once

#include "routes/socketio/engineio_packet.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lp::eio {

struct settings {
    std::chrono::milliseconds ping_interval{25000};
    std::chrono::milliseconds ping_timeout{20000};
    std::size_t max_payload = 1000000; ///< bytes of one POST body or WebSocket message
    /// Bytes waiting for a client that does not poll (websocket_max_queued): beyond, the
    /// session is closed (transport error) rather than the server's memory growing.
    std::size_t max_queued = 4 << 20;
    bool allow_eio3 = true;            ///< socket.io 2.x clients
};

enum class transport_kind { polling, websocket };

/// Why a session ended (the reference server's reasons, which Socket.IO passes on).
enum class close_reason { none, client_close, ping_timeout, parse_error, transport_close, transport_error, server_close };
char const* describe(close_reason reason);

class session {
public:
    session(std::string sid, int version, transport_kind transport, settings const& config);

    std::string const& sid() const { return sid_; }
    int version() const { return version_; }
    transport_kind transport() const { return transport_; }
    bool closed() const { return reason_ != close_reason::none; }
    close_reason reason() const { return reason_; }

    /// The handshake's open packet: sid, upgrades (["websocket"] on polling), timings.
    packet open_packet() const;

    // ---- Inputs ----

    /// A GET on the polling transport.
    enum class poll_verdict {
        answer,   ///< write take_poll_reply() now
        park,     ///< nothing to send yet: wait (poll_parked() is true)
        overlap,  ///< a poll was already waiting: the session is closed; refuse this one (400)
        refused   ///< not on polling any more (upgraded), or closed: 400
    };
    poll_verdict on_poll();
    /// The parked poll's client has gone: the session is closed (transport close).
    void poll_abandoned();

    /// What a POST body or a WebSocket frame brought.
    struct received {
        std::vector<packet> messages; ///< for the application, in order
        bool heard = false;           ///< a pong (v4) or ping (v3): the heartbeat restarts
        bool ok = true;               ///< false: malformed, the session is closed (parse error)
    };
    /// A POST body on the polling transport (`binary`: a v3 client's octet-stream payload).
    received on_post(std::string_view body, bool binary = false);
    /// A frame of the session's own WebSocket (transport websocket).
    received on_frame(packet const& p);

    /// A WebSocket with this sid asks to take over: allowed once, from polling.
    bool can_probe() const { return transport_ == transport_kind::polling && !probing_ && !closed(); }
    void start_probe() { probing_ = true; }
    /// A frame of the probing WebSocket. Returns the packets to answer on it ("3probe").
    /// "5" completes the upgrade: the session is then on WebSocket, and the outbox goes there.
    std::vector<packet> on_probe_frame(packet const& p);
    /// The probing WebSocket closed before "5": the session stays on polling.
    void probe_failed() { probing_ = probed_ = false; }

    /// The heartbeat timer fired. Returns the delay to the next check; closes the session
    /// (ping timeout) when the client stayed silent.
    std::chrono::milliseconds on_heartbeat();
    /// The delay to arm after the handshake and after each pong.
    std::chrono::milliseconds heartbeat_delay() const;

    /// The session's WebSocket closed (or failed).
    void transport_closed(close_reason reason = close_reason::transport_close);

    /// The application sends. Nothing happens once closed. Past max_queued bytes waiting,
    /// the session is closed (transport error).
    void send(packet p);
    /// The server ends the session.
    void close() { end(close_reason::server_close); }

    // ---- Outputs ----

    /// On WebSocket with nothing queued: a message may be written at once, without the outbox.
    bool writes_through() const { return transport_ == transport_kind::websocket && !closed() && outbox_.empty(); }

    bool poll_parked() const { return poll_parked_; }
    /// Something waits for a parked poll (write take_poll_reply() to it).
    bool poll_ready() const { return poll_parked_ && !outbox_.empty(); }
    /// The payload for the poll being answered; the poll is no longer parked.
    std::string take_poll_reply();
    /// The packets to write on the WebSocket (transport websocket only).
    std::vector<packet> take_outbox();

private:
    void end(close_reason reason);
    /// Handles a control packet the client sent; false when it does not belong here.
    bool control(packet const& p, received& r);

    std::string sid_;
    int version_;
    transport_kind transport_;
    settings config_;
    close_reason reason_ = close_reason::none;
    bool poll_parked_ = false;
    bool probing_ = false;
    bool probed_ = false; ///< "2probe" answered: polls get "6" until the upgrade
    bool awaiting_pong_ = false;
    std::vector<packet> outbox_;
    std::size_t queued_bytes_ = 0; ///< of outbox_'s data
};

} // namespace lp::eio
