// The cursor pool's decisions, table-driven: requests queue, connections open, fail, come
// back and break, run against pool_core with a recorder in place of PostgreSQL.
#include "orm_bridge/pool_core.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <memory>
#include <optional>
#include <variant>

namespace {
struct node {
    int number;
};
struct waiter {
    std::string name;
};
using core = lp::orm::pool_core<node, waiter>;

// Events.
struct request { // a request with no idle connection for it queues
    std::string name;
};
struct take_idle { // a request that finds an idle connection (or null)
    std::optional<int> expect_node;
};
struct opens { // the connection the core asked for last opens
};
struct open_fails {};
struct give_back { // the lease on connection `n` ends
    int n;
    bool reusable = true;
};
struct gives_up { // a queued request's deadline passed
    std::string name;
};
struct close_pool {};
// Checks.
struct expect_opening { // how many connection attempts were asked for so far
    int count;
};
struct expect_granted {
    std::string name;
    int n;
};
struct expect_refused {
    std::string name;
};
struct expect_pending {
    std::string name;
};
struct expect_counts {
    std::size_t open, idle, waiting;
};
using step = std::variant<request, take_idle, opens, open_fails, give_back, gives_up, close_pool, expect_opening,
                          expect_granted, expect_refused, expect_pending, expect_counts>;

struct pool_case {
    std::string name;
    std::size_t max_size;
    std::vector<step> steps;
};

struct recorder final : core::actions {
    int opening = 0;
    std::vector<std::unique_ptr<node>> nodes;
    std::map<std::string, int> granted;
    std::map<std::string, std::string> refused;
    std::map<int, bool> closed;

    void open() override
    {
        ++opening;
        nodes.push_back(std::make_unique<node>(node{opening}));
    }
    void grant(waiter* w, node* n) override
    {
        BOOST_TEST(!granted.contains(w->name), w->name << " granted twice");
        granted[w->name] = n->number;
    }
    void refuse(waiter* w, std::string const& why) override { refused[w->name] = why; }
    void close(node* n) override
    {
        BOOST_TEST(!closed[n->number], "connection " << n->number << " closed twice");
        closed[n->number] = true;
    }
};

void run(pool_case const& c)
{
    BOOST_TEST_CONTEXT("case: " << c.name)
    {
        recorder out;
        core pool(out, c.max_size, 1000);
        std::map<std::string, std::unique_ptr<waiter>> waiters;
        auto node_number = [&](int n) -> node* { return out.nodes.at(static_cast<std::size_t>(n - 1)).get(); };
        std::size_t index = 0;
        for (auto const& s : c.steps) {
            BOOST_TEST_CONTEXT("step " << index++)
            std::visit(
                [&](auto const& e) {
                    using E = std::decay_t<decltype(e)>;
                    if constexpr (std::is_same_v<E, request>) {
                        auto& w = waiters[e.name] = std::make_unique<waiter>(waiter{e.name});
                        pool.enqueue(w.get());
                    }
                    else if constexpr (std::is_same_v<E, take_idle>) {
                        auto* n = pool.take_idle();
                        BOOST_TEST(((n ? std::optional<int>(n->number) : std::nullopt) == e.expect_node));
                    }
                    else if constexpr (std::is_same_v<E, opens>)
                        pool.opened(out.nodes.back().get());
                    else if constexpr (std::is_same_v<E, open_fails>)
                        pool.open_failed(out.nodes.back().get(), "connection refused");
                    else if constexpr (std::is_same_v<E, give_back>)
                        pool.returned(node_number(e.n), e.reusable);
                    else if constexpr (std::is_same_v<E, gives_up>)
                        pool.waiter_gone(waiters.at(e.name).get());
                    else if constexpr (std::is_same_v<E, close_pool>)
                        pool.close();
                    else if constexpr (std::is_same_v<E, expect_opening>)
                        BOOST_TEST(out.opening == e.count);
                    else if constexpr (std::is_same_v<E, expect_granted>) {
                        BOOST_REQUIRE_MESSAGE(out.granted.contains(e.name), e.name << " has no connection");
                        BOOST_TEST(out.granted.at(e.name) == e.n);
                    }
                    else if constexpr (std::is_same_v<E, expect_refused>)
                        BOOST_TEST(out.refused.contains(e.name), e.name << " was not refused");
                    else if constexpr (std::is_same_v<E, expect_pending>) {
                        BOOST_TEST(!out.granted.contains(e.name), e.name << " has a connection");
                        BOOST_TEST(!out.refused.contains(e.name), e.name << " was refused");
                    }
                    else if constexpr (std::is_same_v<E, expect_counts>) {
                        auto const counts = pool.counters();
                        BOOST_TEST(counts.open == e.open);
                        BOOST_TEST(counts.idle == e.idle);
                        BOOST_TEST(counts.waiting == e.waiting);
                    }
                },
                s);
        }
    }
}

std::vector<pool_case> const cases{
    {"waiters are served in order, one connection opened at a time, up to max_size", 2,
     {request{"a"}, request{"b"}, request{"c"}, expect_opening{1}, opens{}, expect_granted{"a", 1},
      expect_opening{2}, opens{}, expect_granted{"b", 2}, expect_opening{2}, expect_pending{"c"},
      give_back{1}, expect_granted{"c", 1}, give_back{2}, expect_counts{2, 1, 0}, take_idle{2},
      take_idle{std::nullopt}}},

    {"a failed grow while leases are out fails nobody: the queued wait for a returned lease", 2,
     {request{"a"}, opens{}, expect_granted{"a", 1}, request{"b"}, expect_opening{2}, open_fails{},
      expect_pending{"b"}, expect_counts{1, 0, 1}, give_back{1}, expect_granted{"b", 1}}},

    {"a failed connect with no connection left refuses every waiter (the database is unreachable)", 2,
     {request{"a"}, request{"b"}, expect_opening{1}, open_fails{}, expect_refused{"a"}, expect_refused{"b"},
      expect_counts{0, 0, 0},
      // Later requests try again.
      request{"c"}, expect_opening{2}, opens{}, expect_granted{"c", 2}}},

    {"a broken connection is closed and replaced for the next waiter", 1,
     {request{"a"}, opens{}, request{"b"}, expect_opening{1}, give_back{1, false}, expect_opening{2},
      expect_pending{"b"}, opens{}, expect_granted{"b", 2}, expect_counts{1, 0, 0}}},

    {"a waiter that gives up leaves the queue: the next one gets the connection", 1,
     {request{"a"}, opens{}, request{"b"}, request{"c"}, gives_up{"b"}, give_back{1}, expect_granted{"c", 1},
      expect_pending{"b"}}},

    {"strict FIFO: an idle connection is not taken past queued waiters", 1,
     {request{"a"}, opens{}, give_back{1}, expect_counts{1, 1, 0}, take_idle{1}, request{"b"},
      take_idle{std::nullopt}, give_back{1}, expect_granted{"b", 1}}},

    {"close refuses the waiters, closes idle connections, and leased ones when returned", 2,
     {request{"a"}, opens{}, request{"b"}, opens{}, give_back{2}, take_idle{2}, request{"d"}, close_pool{}, expect_refused{"d"}, give_back{1}, give_back{2}, expect_counts{0, 0, 0},
      take_idle{std::nullopt}}},
};
} // namespace

BOOST_AUTO_TEST_SUITE(pool_core)

BOOST_AUTO_TEST_CASE(decisions_table)
{
    for (auto const& c : cases)
        run(c);
}

BOOST_AUTO_TEST_SUITE_END()
