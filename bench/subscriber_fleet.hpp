// What every kind of subscriber connection shares: N clients on one Asio thread, opened at
// --ramp per second, each connecting from one of 127.0.0.2..K (so N is not bounded by one
// address's ephemeral ports), and the counts the scenarios read. The transport (an HTTP poll
// loop, a WebSocket) is the derived class's run().
#pragma once

#include "bench/target.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
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

    std::int64_t answered_ns = 0; ///< when the latest answer (or message) had been read completely
    std::uint32_t answers = 0;

    // stream accounting: messages are numbered 1..M.
    std::uint64_t next_seq = 1;
    std::uint64_t delivered = 0, duplicated = 0, lost = 0;
};

class subscriber_fleet {
public:
    /// `count` clients (the scenario's --clients, or the long polls of a mixed run).
    subscriber_fleet(boost::asio::io_context& io, target& t, options const& o, std::size_t count);
    virtual ~subscriber_fleet() = default;
    subscriber_fleet(subscriber_fleet const&) = delete;
    subscriber_fleet& operator=(subscriber_fleet const&) = delete;

    /// Opens every client at `ramp` connections per second (0: all at once), each with its
    /// cursor set `from`. Completes when all have been started (not necessarily connected).
    boost::asio::awaitable<void> open_all(cursor from = cursor::current);

    /// Closes every connection; what arrives afterwards is ignored.
    virtual void stop();

    /// After stop(): once every client's coroutine has ended, fresh clients and counters, ready
    /// for open_all() again (a reconnecting crowd).
    boost::asio::awaitable<void> reset();

    /// How many of these subscribers the server says it holds (helper threads only: it asks
    /// the target's control plane); `answered` is answers() read on the loop before.
    virtual std::optional<std::size_t> held_by_server(std::size_t answered) = 0;

    /// Paced HTTP re-polls wait behind a gate while it is closed (so that nothing runs between
    /// a publish and the measurements that follow it); nothing to pace for a WebSocket.
    virtual void close_gate() {}
    virtual void open_gate() {}

    std::size_t size() const { return clients_.size(); }
    std::vector<client>& clients() { return clients_; }
    std::size_t started() const { return started_; }
    std::size_t written() const { return written_; }   ///< clients whose first request (subscription) is out
    std::size_t waiting() const { return waiting_; }   ///< subscribed and waiting for what comes next
    std::size_t failed() const { return failed_; }
    std::size_t finished() const { return finished_; } ///< clients that stopped asking
    std::size_t answers() const { return answers_; }   ///< answers or messages read, all clients together
    std::map<std::string, std::size_t> const& errors() const { return errors_; }

    /// Connections still open as the kernel sees them (a peek at each waiting client's socket:
    /// not closed or reset by the server), without disturbing the pending reads.
    std::size_t open_connections() const;

    /// Counts a problem that did not end the connection (e.g. an HTTP error answer).
    void note_error(std::string const& what) { ++errors_[what]; }

protected:
    /// One client's life: connect(), then the transport's exchange until stopped or failed.
    virtual boost::asio::awaitable<void> run(client& c, cursor from) = 0;
    /// Opens the client's socket from its source address and connects; false (counted) on failure.
    boost::asio::awaitable<bool> connect(client& c);
    void fail(client& c, std::string const& what);
    /// Writes the whole of `wire`; false when stopping or on failure (counted as "write: ...").
    boost::asio::awaitable<bool> write_all(client& c, std::string_view wire);

    /// Keeps running_ right while a coroutine of this fleet is alive.
    struct running_guard {
        explicit running_guard(std::size_t& n) : running(n) { ++running; }
        ~running_guard() { --running; }
        running_guard(running_guard const&) = delete;
        running_guard& operator=(running_guard const&) = delete;
        std::size_t& running;
    };

    boost::asio::io_context& io_;
    target& target_;
    options const& options_;
    std::vector<client> clients_;
    bool stopping_ = false;
    std::size_t running_ = 0; ///< clients' coroutines not yet ended
    std::size_t started_ = 0, written_ = 0, waiting_ = 0, failed_ = 0, finished_ = 0, answers_ = 0;
    std::map<std::string, std::size_t> errors_;
};

} // namespace bench
