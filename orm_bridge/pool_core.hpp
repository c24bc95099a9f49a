// The decisions of a cursor pool, without sockets or PostgreSQL: who gets a connection, when
// one more is opened, when waiters are told the database is unreachable. The I/O shell
// (cursor_pool.cpp) opens, checks and closes connections and wakes waiters as told; the unit
// tests drive it from tables of events. A template over the shell's node and waiter types, so
// that the tests can use their own.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <string>

namespace lp::orm {

struct pool_counters {
    std::size_t open = 0;       ///< connections open or connecting
    std::size_t idle = 0;
    std::size_t waiting = 0;    ///< requests queued for a cursor
    std::uint64_t leases = 0;   ///< cursors handed out so far
    std::uint64_t dropped = 0;  ///< connections closed because they broke or were left busy
    std::uint64_t connect_failures = 0;
};

template <class Node, class Waiter>
class pool_core {
public:
    /// Where the decisions go. An action never calls back into the core before returning.
    class actions {
    public:
        virtual ~actions() = default;
        /// Open one more connection; report opened() or open_failed().
        virtual void open() = 0;
        /// `w` leases `n` (it leaves the queue).
        virtual void grant(Waiter* w, Node* n) = 0;
        /// `w` gets no connection (it leaves the queue): the database is unreachable or closing.
        virtual void refuse(Waiter* w, std::string const& why) = 0;
        /// Close `n` for good.
        virtual void close(Node* n) = 0;
    };

    pool_core(actions& out, std::size_t max_size, std::size_t max_waiting)
        : out_(out), max_size_(max_size), max_waiting_(max_waiting)
    {
    }

    bool closed() const { return closed_; }
    bool queue_full() const { return waiting_.size() >= max_waiting_; }

    /// An idle connection for a new request, unless others are already queued (strict FIFO).
    /// The caller checks it is still alive, and reports returned(n, false) if not.
    Node* take_idle()
    {
        if (closed_ || !waiting_.empty() || idle_.empty())
            return nullptr;
        auto* n = idle_.front();
        idle_.pop_front();
        ++counters_.leases;
        return n;
    }

    /// Queues `w` (check queue_full() first); it is granted or refused later.
    void enqueue(Waiter* w)
    {
        waiting_.push_back(w);
        grow_if_needed();
    }

    /// `w` gave up (its deadline, its cancellation): it leaves the queue.
    void waiter_gone(Waiter* w) { waiting_.remove(w); }

    void opened(Node* n)
    {
        --connecting_;
        if (closed_) {
            forget(n);
            return;
        }
        hand_off(n);
        grow_if_needed();
    }

    /// A connection could not be opened. Waiters are refused only when no connection is left
    /// that could serve them: with leases out, they wait for one to come back instead.
    void open_failed(Node* n, std::string const& why)
    {
        --connecting_;
        ++counters_.connect_failures;
        forget(n);
        if (size_ == 0)
            refuse_all(why);
    }

    /// A lease ended: `reusable` when the connection is alive and outside any transaction.
    void returned(Node* n, bool reusable)
    {
        if (!reusable)
            ++counters_.dropped;
        if (closed_ || !reusable) {
            forget(n);
            grow_if_needed();
            return;
        }
        hand_off(n);
    }

    /// Refuses every waiter and closes idle connections; leased ones close when returned.
    void close()
    {
        closed_ = true;
        refuse_all("the server is shutting down");
        while (!idle_.empty()) {
            auto* n = idle_.front();
            idle_.pop_front();
            forget(n);
        }
    }

    pool_counters counters() const
    {
        auto c = counters_;
        c.open = size_;
        c.idle = idle_.size();
        c.waiting = waiting_.size();
        return c;
    }

private:
    /// A connection is free: the longest waiter gets it, else it becomes idle.
    void hand_off(Node* n)
    {
        if (waiting_.empty()) {
            idle_.push_back(n);
            return;
        }
        auto* w = waiting_.front();
        waiting_.pop_front();
        ++counters_.leases;
        out_.grant(w, n);
    }

    /// One more connection when requests wait, there is room, and no other connection is being
    /// opened (during an outage the pool must not pile up connection attempts).
    void grow_if_needed()
    {
        if (closed_ || waiting_.empty() || connecting_ > 0 || size_ >= max_size_)
            return;
        ++connecting_;
        ++size_;
        out_.open();
    }

    void forget(Node* n)
    {
        idle_.erase(std::remove(idle_.begin(), idle_.end(), n), idle_.end());
        --size_;
        out_.close(n);
    }

    void refuse_all(std::string const& why)
    {
        while (!waiting_.empty()) {
            auto* w = waiting_.front();
            waiting_.pop_front();
            out_.refuse(w, why);
        }
    }

    actions& out_;
    std::size_t max_size_;
    std::size_t max_waiting_;
    std::list<Waiter*> waiting_;
    std::deque<Node*> idle_;
    std::size_t size_ = 0; ///< open or connecting
    std::size_t connecting_ = 0;
    bool closed_ = false;
    pool_counters counters_;
};

} // namespace lp::orm
