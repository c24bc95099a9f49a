#include "routes/socketio/engineio_session.hpp"

#include "orm_bridge/limits_hit.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace lp::eio {

char const* describe(close_reason reason)
{
    switch (reason) {
    case close_reason::none: return "open";
    case close_reason::client_close: return "transport close";
    case close_reason::ping_timeout: return "ping timeout";
    case close_reason::parse_error: return "parse error";
    case close_reason::transport_close: return "transport close";
    case close_reason::transport_error: return "transport error";
    case close_reason::server_close: return "forced close";
    }
    return "?";
}

session::session(std::string sid, int version, transport_kind transport, settings const& config)
    : sid_(std::move(sid)), version_(version), transport_(transport), config_(config)
{
}

packet session::open_packet() const
{
    boost::json::array upgrades;
    if (transport_ == transport_kind::polling)
        upgrades.emplace_back("websocket");
    boost::json::object handshake{{"sid", sid_},
                                  {"upgrades", std::move(upgrades)},
                                  {"pingInterval", config_.ping_interval.count()},
                                  {"pingTimeout", config_.ping_timeout.count()}};
    if (version_ >= 4)
        handshake["maxPayload"] = config_.max_payload;
    return {packet_type::open, boost::json::serialize(handshake)};
}

session::poll_verdict session::on_poll()
{
    if (closed() || transport_ != transport_kind::polling)
        return poll_verdict::refused;
    if (poll_parked_) {
        // Two polls at once: a broken client. The waiting one hears "1", this one a 400.
        end(close_reason::transport_error);
        return poll_verdict::overlap;
    }
    poll_parked_ = true;
    if (probed_ && outbox_.empty())
        outbox_.push_back({packet_type::noop, {}}); // upgrading: polls return at once
    return outbox_.empty() ? poll_verdict::park : poll_verdict::answer;
}

void session::poll_abandoned()
{
    poll_parked_ = false;
    end(close_reason::transport_close);
}

bool session::control(packet const& p, received& r)
{
    switch (p.type) {
    case packet_type::message: return false;
    case packet_type::pong:
        awaiting_pong_ = false;
        r.heard = true;
        return true;
    case packet_type::ping:
        if (version_ == 3) { // v3: the client pings, the server answers
            send({packet_type::pong, p.data});
            r.heard = true;
        }
        return true;
    case packet_type::close: end(close_reason::client_close); return true;
    case packet_type::noop: return true;
    case packet_type::open:
    case packet_type::upgrade: break;
    }
    // A handshake or upgrade packet outside of its place.
    end(close_reason::parse_error);
    r.ok = false;
    return true;
}

session::received session::on_post(std::string_view body, bool binary)
{
    received r;
    auto packets = binary && version_ == 3 ? decode_binary_payload(body) : decode_payload(body, version_);
    if (!packets) {
        end(close_reason::parse_error);
        r.ok = false;
        return r;
    }
    for (auto& p : *packets) {
        if (closed())
            break;
        if (!control(p, r))
            r.messages.push_back(std::move(p));
    }
    return r;
}

session::received session::on_frame(packet const& p)
{
    received r;
    if (!closed() && !control(p, r))
        r.messages.push_back(p);
    return r;
}

std::vector<packet> session::on_probe_frame(packet const& p)
{
    if (closed())
        return {};
    if (p.type == packet_type::ping && p.data == "probe") {
        // The pending poll returns at once ("6"), and any later one, so that the client can
        // pause polling.
        probed_ = true;
        if (poll_parked_ && outbox_.empty())
            outbox_.push_back({packet_type::noop, {}});
        return {{packet_type::pong, "probe"}};
    }
    if (p.type == packet_type::upgrade) {
        transport_ = transport_kind::websocket;
        probing_ = probed_ = false;
        poll_parked_ = false; // a poll still waiting is answered "6" by the shell
    }
    return {};
}

std::chrono::milliseconds session::on_heartbeat()
{
    if (closed())
        return {};
    if (version_ == 3 || awaiting_pong_) {
        end(close_reason::ping_timeout);
        return {};
    }
    send({packet_type::ping, {}});
    awaiting_pong_ = true;
    return config_.ping_timeout;
}

std::chrono::milliseconds session::heartbeat_delay() const
{
    return version_ == 3 ? config_.ping_interval + config_.ping_timeout : config_.ping_interval;
}

void session::transport_closed(close_reason reason)
{
    end(reason);
}

void session::send(packet p)
{
    if (closed())
        return;
    queued_bytes_ += p.data.size();
    if (queued_bytes_ > config_.max_queued) {
        count_limit_hit(limit::websocket_max_queued);
        end(close_reason::transport_error);
        return;
    }
    outbox_.push_back(std::move(p));
}

void session::end(close_reason reason)
{
    if (closed())
        return;
    reason_ = reason;
    outbox_.clear();
    queued_bytes_ = 0;
    // A waiting poll returns: "6" when the client closed (it knows), "1" otherwise.
    if (poll_parked_)
        outbox_.push_back({reason == close_reason::client_close ? packet_type::noop : packet_type::close, {}});
}

std::string session::take_poll_reply()
{
    auto reply = encode_payload(outbox_, version_);
    outbox_.clear();
    queued_bytes_ = 0;
    poll_parked_ = false;
    return reply;
}

std::vector<packet> session::take_outbox()
{
    queued_bytes_ = 0;
    return std::exchange(outbox_, {});
}

} // namespace lp::eio
