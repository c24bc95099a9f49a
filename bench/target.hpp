// A server under test, seen from the load generator: what a subscriber sends and understands
// (the data plane, on the event loop) and how to publish and observe it (the control plane,
// blocking calls made from helper threads only).
#pragma once

#include "bench/event_loop.hpp"
#include "bench/options.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

struct client;
using response = boost::beast::http::response<boost::beast::http::string_body>;

/// Where a new client's cursor starts.
enum class cursor {
    current, ///< where prepare() found the channel: the poll parks
    first,   ///< a first poll (lp: last = 0; nchan: no cursor)
    stale,   ///< far behind, as after a restart (lp: last = 1; nchan: none, see target_nchan.cpp)
};

/// What one answer carried.
struct answer {
    bool ok = false;                ///< a well-formed answer (notifications, or none)
    std::vector<std::uint64_t> seqs; ///< the bench messages it delivered, in order
    std::string error;              ///< why not ok
};

class target {
public:
    virtual ~target() = default;

    // --- data plane (event loop) ---
    /// Sets a new client's cursor.
    virtual void start(client& c, cursor from) const = 0;
    /// The request the client sends next, from its cursor (last id, or Last-Modified/Etag).
    virtual std::string request(client const& c) const = 0;
    /// Reads an answer and moves the client's cursor past what it delivered.
    virtual answer read(client& c, response const& r) const = 0;

    // --- data plane over a WebSocket (event loop) ---
    /// The request target of the upgrade (GET ... HTTP/1.1).
    virtual std::string websocket_path() const = 0;
    /// The text message a new client sends once open ("": none, the URL subscribes).
    virtual std::string subscribe_message(client const& c) const = 0;
    /// Reads a text message the server sent and moves the client's cursor past it.
    virtual answer read_message(client& c, std::string_view text) const = 0;

    // --- control plane (helper threads) ---
    /// Before any client connects: find where the channel is now, so that polls park.
    virtual void prepare() = 0;
    /// How many subscribers the server holds parked now, if it can be known; `answered` is how
    /// many answers the clients have read since prepare().
    virtual std::optional<std::size_t> parked(std::size_t answered) = 0;
    /// How many WebSocket subscribers the server holds now, if it can be known.
    virtual std::optional<std::size_t> websockets_held() = 0;
    /// Publishes message number `seq` on the channel the way real publishers do; stores the
    /// steady_clock time (ns) taken just before the message is committed/sent in `sent_ns`.
    virtual void publish(std::uint64_t seq, std::atomic<std::int64_t>& sent_ns) = 0;
    /// Server-side counters (numbers, e.g. bus_bus queries so far); the report shows their growth.
    virtual boost::json::object counters() = 0;
};

std::unique_ptr<target> make_lp_target(options const& o);
std::unique_ptr<target> make_nchan_target(options const& o);

/// The bench messages' numbers in a body or frame, in order: every `"seq":N` it holds.
std::vector<std::uint64_t> seqs_in(std::string_view text);


} // namespace bench
