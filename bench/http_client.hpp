// The subscribers: N HTTP connections on one Asio thread, each a coroutine that connects from
// one of 127.0.0.2..K (so N is not bounded by one address's ephemeral ports), sends the
// target's request, reads the answer and lets the scenario decide whether to ask again.
#pragma once

#include "bench/target.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace bench {

/// One subscriber connection and what happened to it.
struct client {
    client(boost::asio::any_io_executor executor, std::size_t i) : index(i), socket(std::move(executor)) {}

    enum class phase : std::uint8_t { idle, connecting, waiting, done, failed };

    std::size_t index;
    boost::asio::ip::tcp::socket socket;
    boost::beast::flat_buffer buffer;
    phase state = phase::idle;

    // The target's cursor.
    std::int64_t last_id = 0;             ///< lp: the newest bus_bus id seen
    std::string last_modified, etag;      ///< nchan: the message the next poll starts after

    std::int64_t answered_ns = 0; ///< when the latest answer had been read completely
    std::uint32_t answers = 0;

    // stream accounting: messages are numbered 1..M.
    std::uint64_t next_seq = 1;
    std::uint64_t delivered = 0, duplicated = 0, lost = 0;
};

/// What the scenario does with an answer.
enum class next_step {
    ask_again,       ///< send the next request at once
    ask_again_later, ///< after a short pause (an error answer)
    ask_again_paced, ///< when the opening rate (--ramp) allows, shared by all clients
    stop,            ///< this client is done: close the connection
    stop_keep_open,  ///< done, but leave the connection open until the end of the run
};

class fleet {
public:
    using on_answer_fn = std::function<next_step(client&, response const&)>;

    fleet(boost::asio::io_context& io, target& t, options const& o, on_answer_fn on_answer);

    /// Opens every client at `ramp` connections per second (0: all at once), each with its
    /// cursor set `from`. Completes when all have been started (not necessarily connected).
    boost::asio::awaitable<void> open_all(cursor from = cursor::current);

    /// Closes every connection; answers that arrive afterwards are ignored.
    void stop();

    /// After stop(): once every client's coroutine has ended, fresh clients and counters, ready
    /// for open_all() again (a reconnecting crowd).
    boost::asio::awaitable<void> reset();

    std::vector<client>& clients() { return clients_; }
    std::size_t started() const { return started_; }
    std::size_t written() const { return written_; }   ///< clients whose first request is out
    std::size_t waiting() const { return waiting_; }   ///< requests out, answer not yet read
    std::size_t failed() const { return failed_; }
    std::size_t finished() const { return finished_; } ///< clients that stopped asking
    std::size_t answers() const { return answers_; }   ///< answers read, all clients together
    std::map<std::string, std::size_t> const& errors() const { return errors_; }

    /// Connections still open as the kernel sees them (a peek at each waiting client's socket:
    /// not closed or reset by the server), without disturbing the pending reads.
    std::size_t open_connections() const;

    /// Paced re-polls wait behind a gate while it is closed (so that nothing runs between a
    /// publish and the measurements that follow it); opening it lets them go at --ramp.
    void close_gate();
    void open_gate();

    /// Counts a problem that did not end the connection (e.g. an HTTP error answer).
    void note_error(std::string const& what) { ++errors_[what]; }

private:
    boost::asio::awaitable<void> run(client& c, cursor from);
    boost::asio::awaitable<bool> connect(client& c);
    void fail(client& c, std::string const& what);

    boost::asio::io_context& io_;
    target& target_;
    options const& options_;
    on_answer_fn on_answer_;
    std::vector<client> clients_;
    bool stopping_ = false;
    std::size_t running_ = 0; ///< clients' coroutines not yet ended
    std::size_t started_ = 0, written_ = 0, waiting_ = 0, failed_ = 0, finished_ = 0, answers_ = 0;
    std::map<std::string, std::size_t> errors_;
    std::int64_t next_paced_ns_ = 0; ///< the next free slot for a paced request
    bool gate_closed_ = false;
    boost::asio::steady_timer gate_; ///< paced clients wait on it while the gate is closed
};

} // namespace bench
