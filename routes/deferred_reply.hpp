// A json reply that arrives after its handler has returned. A bus poll that must wait hands
// one to the bus and returns: while it waits, the request holds no coroutine, no parser and
// no cursor, only this slot and its socket (see docs/architecture.md, "Parked polls").
#pragma once

#include "routes/outgoing_response.hpp"
#include "routes/reply_shape.hpp"

#include <boost/json/value.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace lp {

/// The slot owns the parked connection's fate: dropped unresolved (a handler or the bus lost
/// it), its destructor answers a 500 at once rather than leaving the socket parked until shutdown.
class deferred_reply {
public:
    deferred_reply() = default;
    deferred_reply(deferred_reply const&) = delete;
    deferred_reply& operator=(deferred_reply const&) = delete;
    ~deferred_reply();

    /// Delivers the result. The first call wins; later ones are ignored. Never throws
    /// (a failure to build or hand over the reply is logged).
    void resolve(boost::json::value const& result) noexcept;
    /// The same with the result already serialized (the bus serializes a row once for all
    /// the polls it answers). Copied only when the transport is not waiting yet.
    void resolve_serialized(std::string_view result_json) noexcept;
    /// Delivers a whole response instead of a json result (a transport of its own, such as
    /// Engine.IO's long-polling, writes its body as it is). The first resolution wins.
    void resolve_response(outgoing_response response) noexcept;
    bool resolved() const { return resolved_; }

    /// Set by the dispatcher: how the result is to be written. The envelope's opening is
    /// made here, while the request parks, rather than in the fan-out that answers it.
    void shape(reply_shape s);

    /// Set by the transport: what to do with the response once the result is there. Runs at
    /// once when it already is. The reply's views last for the call only.
    void on_ready(std::function<void(ready_reply const&)> ready);

    /// Set by whoever will resolve it (the bus): what to do if the client leaves first.
    void on_abandon(std::function<void()> forget) { forget_ = std::move(forget); }
    /// Called by the transport when the client has gone: nothing will be written; the holder
    /// forgets the request (the transport closes the connection itself). No effect once resolved.
    void abandon() noexcept;

private:
    void deliver(std::string_view result_json) noexcept;
    void hand_over(outgoing_response response) noexcept;

    reply_shape shape_;
    std::string body_open_; ///< json_body_open(shape_)
    bool resolved_ = false;
    // Only while the transport is not waiting yet (rare): a pointer keeps the slot small. (Keeping
    // freed slots for reuse instead of handing them back to glibc was tried: no gain measured.)
    std::unique_ptr<std::variant<std::string, outgoing_response>> result_;
    std::function<void(ready_reply const&)> ready_;
    std::function<void()> forget_;
};

} // namespace lp
