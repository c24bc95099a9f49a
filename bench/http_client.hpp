// The long-poll subscribers: each client sends the target's request, reads the HTTP answer and
// lets the scenario decide whether to ask again.
#pragma once

#include "bench/subscriber_fleet.hpp"

#include <boost/asio/steady_timer.hpp>

#include <functional>

namespace bench {

/// What the scenario does with an answer.
enum class next_step {
    ask_again,       ///< send the next request at once
    ask_again_later, ///< after a short pause (an error answer)
    ask_again_paced, ///< when the opening rate (--ramp) allows, shared by all clients
    stop,            ///< this client is done: close the connection
    stop_keep_open,  ///< done, but leave the connection open until the end of the run
};

class fleet final : public subscriber_fleet {
public:
    using on_answer_fn = std::function<next_step(client&, response const&)>;

    fleet(boost::asio::io_context& io, target& t, options const& o, std::size_t count, on_answer_fn on_answer);

    void stop() override;
    /// The polls the target holds parked.
    std::optional<std::size_t> held_by_server(std::size_t answered) override { return target_.parked(answered); }
    void close_gate() override;
    void open_gate() override;

private:
    boost::asio::awaitable<void> run(client& c, cursor from) override;

    on_answer_fn on_answer_;
    std::int64_t next_paced_ns_ = 0; ///< the next free slot for a paced request
    bool gate_closed_ = false;
    boost::asio::steady_timer gate_; ///< paced clients wait on it while the gate is closed
};

} // namespace bench
