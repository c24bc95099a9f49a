// The bus's decisions, table-driven: each case is a list of events (polls arriving,
// notifications, reads finishing or failing, time passing) and checks, run against bus_core
// with a recorder in place of PostgreSQL, timers and sockets.
#include "routes/bus/bus_core.hpp"
#include "routes/deferred_reply.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <variant>

namespace {
using namespace lp::bus;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct row {
    std::int64_t id;
    std::string key;
    bool recent = true;
};

// Events.
struct arrive {
    std::string poll;
    std::vector<std::string> keys;
    std::int64_t last = 0;
    int expires_s = 50;
};
struct arrive_many { // polls prefix0..prefix(count-1), all alike
    std::string prefix;
    int count;
    std::vector<std::string> keys;
    std::int64_t last = 0;
};
struct notify {};
struct listener_back {}; // wake_everyone()
struct tick {};
struct read_ok {
    std::optional<std::int64_t> newest;
    std::vector<row> fresh;
    std::vector<row> for_arrivals;
};
struct read_fail {};
struct clock_at {
    int s; // expire_due(t0 + s)
};
struct stop {};
struct depart { // the poll's client left
    std::string poll;
};
// Checks.
struct expect_read { // the read started since the last check, and what it asks for
    bool newest;
    std::optional<std::int64_t> after;
    std::vector<std::string> arrival_keys;
    std::optional<std::int64_t> since;
    bool first_polls;
};
struct expect_no_read {};
struct expect_tick {
    int ms;
};
struct expect_no_tick {};
struct expect_answer {
    std::string poll;
    std::string json;
};
struct expect_answered {
    std::size_t count; // polls answered so far, in all
};
struct expect_waiting {
    std::size_t waiting;
    std::size_t arriving;
};
using step = std::variant<arrive, arrive_many, notify, listener_back, tick, read_ok, read_fail, clock_at, stop, depart,
                          expect_read, expect_no_read, expect_tick, expect_no_tick, expect_answer, expect_answered,
                          expect_waiting>;

struct bus_case {
    std::string name;
    std::vector<step> steps;
};

bus_clock::time_point const t0 = bus_clock::time_point{} + std::chrono::hours(1);

bus_row make_row(row const& r)
{
    return {r.id, r.key, "{\"id\":" + std::to_string(r.id) + "}", r.recent};
}

/// Records the core's actions and checks the rules any run must keep: one read out at a time,
/// each poll answered once.
struct recorder final : bus_actions {
    std::vector<read_plan> reads;
    std::vector<milliseconds> ticks;
    std::map<lp::deferred_reply const*, std::string> names;
    std::map<std::string, std::vector<std::string>> answers;
    bool read_out = false;

    void start_read(read_plan plan) override
    {
        BOOST_TEST(!read_out, "a second read while one is out");
        read_out = true;
        reads.push_back(std::move(plan));
    }
    void arm_tick(milliseconds delay) override { ticks.push_back(delay); }
    void answer(std::shared_ptr<lp::deferred_reply> reply, std::string_view rows_json) override
    {
        auto const& name = names.at(reply.get());
        answers[name].emplace_back(rows_json);
        BOOST_TEST(answers[name].size() == 1u, name << " answered twice");
    }
};

void run(bus_case const& c)
{
    BOOST_TEST_CONTEXT("case: " << c.name)
    {
        recorder actions;
        bus_core core(actions);
        std::size_t reads_seen = 0, ticks_seen = 0;
        std::vector<std::shared_ptr<lp::deferred_reply>> replies;
        std::map<std::string, bus_waiter*> waiting;
        auto add_poll = [&](std::string const& name, std::vector<std::string> keys, std::int64_t last, int expires_s) {
            auto reply = std::make_shared<lp::deferred_reply>();
            actions.names[reply.get()] = name;
            replies.push_back(reply);
            waiting[name] = core.arrive(std::move(keys), last, t0 + seconds(expires_s), reply);
        };
        auto finish_read = [&] {
            BOOST_REQUIRE_MESSAGE(actions.read_out, "no read is out");
            actions.read_out = false;
        };
        std::size_t index = 0;
        for (auto const& s : c.steps) {
            BOOST_TEST_CONTEXT("step " << index++)
            std::visit(
                [&](auto const& e) {
                    using E = std::decay_t<decltype(e)>;
                    if constexpr (std::is_same_v<E, arrive>)
                        add_poll(e.poll, e.keys, e.last, e.expires_s);
                    else if constexpr (std::is_same_v<E, arrive_many>)
                        for (int i = 0; i < e.count; ++i)
                            add_poll(e.prefix + std::to_string(i), e.keys, e.last, 50);
                    else if constexpr (std::is_same_v<E, notify>)
                        core.notified();
                    else if constexpr (std::is_same_v<E, listener_back>)
                        core.wake_everyone();
                    else if constexpr (std::is_same_v<E, tick>)
                        core.tick_elapsed();
                    else if constexpr (std::is_same_v<E, read_ok>) {
                        finish_read();
                        read_result r;
                        r.newest = e.newest;
                        for (auto const& x : e.fresh)
                            r.fresh.push_back(make_row(x));
                        for (auto const& x : e.for_arrivals)
                            r.for_arrivals.push_back(make_row(x));
                        core.read_done(std::move(r));
                    }
                    else if constexpr (std::is_same_v<E, read_fail>) {
                        finish_read();
                        core.read_failed();
                    }
                    else if constexpr (std::is_same_v<E, clock_at>)
                        core.expire_due(t0 + seconds(e.s));
                    else if constexpr (std::is_same_v<E, stop>)
                        core.stop();
                    else if constexpr (std::is_same_v<E, depart>) {
                        BOOST_REQUIRE_MESSAGE(waiting.at(e.poll), e.poll << " is not waiting");
                        core.depart(*waiting.at(e.poll));
                    }
                    else if constexpr (std::is_same_v<E, expect_read>) {
                        BOOST_REQUIRE_EQUAL(actions.reads.size(), reads_seen + 1);
                        auto const& plan = actions.reads[reads_seen++];
                        BOOST_TEST(plan.newest == e.newest);
                        BOOST_TEST((plan.after == e.after));
                        BOOST_TEST(plan.arrival_keys == e.arrival_keys, boost::test_tools::per_element());
                        BOOST_TEST((plan.arrivals_since == e.since));
                        BOOST_TEST(plan.first_polls == e.first_polls);
                    }
                    else if constexpr (std::is_same_v<E, expect_no_read>)
                        BOOST_TEST(actions.reads.size() == reads_seen);
                    else if constexpr (std::is_same_v<E, expect_tick>) { // exactly one armed since the last check
                        BOOST_REQUIRE_EQUAL(actions.ticks.size(), ticks_seen + 1);
                        BOOST_TEST(actions.ticks[ticks_seen++].count() == e.ms);
                    }
                    else if constexpr (std::is_same_v<E, expect_no_tick>)
                        BOOST_TEST(actions.ticks.size() == ticks_seen);
                    else if constexpr (std::is_same_v<E, expect_answer>) {
                        auto const it = actions.answers.find(e.poll);
                        BOOST_REQUIRE_MESSAGE(it != actions.answers.end(), e.poll << " is not answered");
                        BOOST_TEST(it->second.front() == e.json);
                    }
                    else if constexpr (std::is_same_v<E, expect_answered>)
                        BOOST_TEST(actions.answers.size() == e.count);
                    else if constexpr (std::is_same_v<E, expect_waiting>) {
                        BOOST_TEST(core.stats().waiting == e.waiting);
                        BOOST_TEST(core.stats().arriving == e.arriving);
                    }
                },
                s);
        }
    }
}

int const gather = static_cast<int>(bus_core::gather.count());
int const retry = static_cast<int>(bus_core::retry.count());
int const storm_gather = static_cast<int>(bus_core::storm_gather.count());

std::vector<bus_case> const cases{
    {"arrival storm: a thousand first polls share one read",
     {arrive_many{"p", 1000, {"a", "b"}}, arrive_many{"q", 500, {"c"}}, expect_tick{gather}, expect_no_read{},
      expect_waiting{1500, 1500}, tick{},
      expect_read{true, std::nullopt, {"a", "b", "c"}, std::nullopt, true}, expect_no_tick{},
      // Row 9 on "a" is recent: the p's get it; row 3 on "c" is older than the bus timeout.
      read_ok{20, {}, {{3, "c", false}, {9, "a"}}}, expect_answered{1000}, expect_answer{"p0", R"([{"id":9}])"},
      expect_answer{"p999", R"([{"id":9}])"}, expect_waiting{500, 0}, expect_no_read{},
      // Parked from the newest id on: the next row on "c" answers the q's, from one fetch.
      notify{}, expect_read{false, 20, {}, std::nullopt, false}, read_ok{std::nullopt, {{21, "c"}}, {}},
      expect_answered{1500}, expect_answer{"q0", R"([{"id":21}])"}, expect_waiting{0, 0},
      // After a storm the next arrivals gather longer; after a small read, the usual tick again.
      arrive{"late", {"c"}, 0}, expect_tick{storm_gather}, tick{},
      expect_read{false, std::nullopt, {"c"}, std::nullopt, true}, read_ok{std::nullopt, {}, {}},
      arrive{"later", {"c"}, 0}, expect_tick{gather}}},

    {"stale reconnects: the smallest last id, and each poll gets only its own rows",
     {arrive{"a", {"x"}, 0}, expect_tick{gather}, tick{}, expect_read{true, std::nullopt, {"x"}, std::nullopt, true},
      read_ok{100, {}, {}}, expect_waiting{1, 0},
      // The window starts at 100: last ids 40 and 70 are older, so they need a read.
      arrive{"old", {"x"}, 40}, arrive{"older", {"x", "y"}, 70}, expect_tick{gather}, tick{},
      expect_read{false, std::nullopt, {"x", "y"}, 40, false},
      read_ok{std::nullopt, {}, {{50, "x"}, {80, "y"}}}, expect_answer{"old", R"([{"id":50}])"},
      expect_answer{"older", R"([{"id":80}])"}, expect_waiting{1, 0}}},

    {"re-polls inside the window are answered without a read",
     {arrive{"a", {"x"}, 0}, expect_tick{gather}, tick{}, expect_read{true, std::nullopt, {"x"}, std::nullopt, true},
      read_ok{10, {}, {}},
      notify{}, expect_read{false, 10, {}, std::nullopt, false}, read_ok{std::nullopt, {{11, "x"}, {12, "y"}}, {}},
      expect_answer{"a", R"([{"id":11}])"},
      arrive{"again", {"x", "y"}, 10}, expect_answer{"again", R"([{"id":11},{"id":12}])"}, expect_no_read{},
      // Nothing new for it: parked, and checked after one fetch a tick later.
      arrive{"current", {"x"}, 12}, expect_tick{gather}, expect_no_read{}, tick{},
      expect_read{false, 12, {}, std::nullopt, false}, read_ok{std::nullopt, {{13, "x"}}, {}},
      expect_answer{"current", R"([{"id":13}])"}}},

    {"a crowd of re-polls costs one fetch per tick, not one read after another",
     {arrive{"a", {"x"}, 0}, expect_tick{gather}, tick{}, expect_read{true, std::nullopt, {"x"}, std::nullopt, true},
      read_ok{10, {}, {}}, notify{}, expect_read{false, 10, {}, std::nullopt, false},
      // Re-polls during that read: their fetch waits for the tick, not for the read's end.
      arrive_many{"r", 150, {"x"}, 10}, expect_tick{gather}, read_ok{std::nullopt, {}, {}}, expect_no_read{},
      arrive_many{"s", 150, {"x"}, 10}, tick{}, expect_read{false, 10, {}, std::nullopt, false},
      // 300 re-polls for that fetch: a storm, so the next ones are gathered longer.
      arrive_many{"t", 10, {"x"}, 10}, expect_tick{storm_gather}, read_ok{std::nullopt, {{11, "x"}}, {}},
      expect_answered{311}, expect_no_read{}, tick{}, expect_read{false, 11, {}, std::nullopt, false},
      read_ok{std::nullopt, {}, {}}, expect_answered{311}, expect_waiting{0, 0}}},

    {"a wake-up during a fetch is not lost: one more round follows",
     {arrive{"a", {"x"}, 0}, expect_tick{gather}, tick{}, expect_read{true, std::nullopt, {"x"}, std::nullopt, true},
      notify{}, expect_no_read{}, // one read at a time
      read_ok{5, {}, {}}, expect_waiting{1, 0},
      expect_read{false, 5, {}, std::nullopt, false}, read_ok{std::nullopt, {{6, "x"}}, {}},
      expect_answer{"a", R"([{"id":6}])"}, expect_no_read{}}},

    {"listener loss during a fetch: every parked poll re-checks afterwards",
     {arrive{"a", {"x"}, 0}, arrive{"b", {"y"}, 0}, expect_tick{gather}, tick{},
      expect_read{true, std::nullopt, {"x", "y"}, std::nullopt, true}, read_ok{5, {}, {}},
      notify{}, expect_read{false, 5, {}, std::nullopt, false},
      listener_back{}, expect_no_read{},
      read_ok{std::nullopt, {}, {}}, expect_answered{0},
      // The missed notification's row comes with the round owed to the reconnection.
      expect_read{false, 5, {}, std::nullopt, false}, read_ok{std::nullopt, {{6, "y"}}, {}},
      expect_answer{"b", R"([{"id":6}])"}, expect_waiting{1, 0}}},

    {"expiry racing delivery: a poll expired during its read is answered once, []",
     {arrive{"soon", {"x"}, 0, 1}, arrive{"later", {"x"}, 0, 50}, expect_tick{gather}, tick{},
      expect_read{true, std::nullopt, {"x"}, std::nullopt, true}, clock_at{1}, expect_answer{"soon", "[]"},
      expect_waiting{1, 1}, read_ok{5, {}, {{4, "x"}}}, expect_answer{"later", R"([{"id":4}])"},
      expect_answered{2}}},

    {"expiry racing delivery: a parked poll expired while its rows are fetched",
     {arrive{"a", {"x"}, 0, 2}, expect_tick{gather}, tick{}, expect_read{true, std::nullopt, {"x"}, std::nullopt, true}, read_ok{5, {}, {}},
      notify{}, expect_read{false, 5, {}, std::nullopt, false}, clock_at{2}, expect_answer{"a", "[]"},
      read_ok{std::nullopt, {{6, "x"}}, {}}, expect_answered{1}, expect_waiting{0, 0}}},

    {"a failed read answers nobody with an error: arrivals wait, the read is retried",
     {arrive{"a", {"x"}, 0}, expect_tick{gather}, tick{}, expect_read{true, std::nullopt, {"x"}, std::nullopt, true},
      read_fail{},
      expect_answered{0}, expect_tick{retry}, expect_waiting{1, 1},
      notify{}, arrive{"b", {"y"}, 0}, expect_no_read{}, // backing off
      tick{}, expect_read{true, std::nullopt, {"x", "y"}, std::nullopt, true}, read_ok{7, {}, {{7, "y"}}},
      expect_answer{"b", R"([{"id":7}])"}, expect_waiting{1, 0}}},

    {"re-polls during a back-off neither re-arm nor push away the retry tick",
     {arrive{"a", {"x"}, 0}, expect_tick{gather}, tick{}, expect_read{true, std::nullopt, {"x"}, std::nullopt, true},
      read_ok{5, {}, {}}, notify{}, expect_read{false, 5, {}, std::nullopt, false}, read_fail{}, expect_tick{retry},
      arrive{"r1", {"x"}, 5}, expect_no_tick{}, arrive{"r2", {"x"}, 5}, expect_no_tick{}, expect_no_read{},
      tick{}, expect_read{false, 5, {}, std::nullopt, false}, read_ok{std::nullopt, {{6, "x"}}, {}},
      expect_answer{"r1", R"([{"id":6}])"}, expect_answer{"r2", R"([{"id":6}])"}}},

    {"departures: a poll whose client left is forgotten, parked or in a read, and never answered",
     {arrive{"a", {"x"}, 0}, arrive{"b", {"x"}, 0}, expect_tick{gather}, tick{},
      expect_read{true, std::nullopt, {"x"}, std::nullopt, true}, depart{"a"}, expect_waiting{1, 1},
      read_ok{5, {}, {}}, expect_waiting{1, 0}, arrive{"c", {"x"}, 0}, expect_tick{gather}, tick{},
      expect_read{false, std::nullopt, {"x"}, std::nullopt, true}, read_ok{std::nullopt, {}, {}}, depart{"b"},
      notify{}, expect_read{false, 5, {}, std::nullopt, false}, read_ok{std::nullopt, {{6, "x"}}, {}},
      expect_answer{"c", R"([{"id":6}])"}, expect_answered{1}, expect_waiting{0, 0}}},

    {"stop answers everyone [], even during a read, and later polls at once",
     {arrive{"a", {"x"}, 0}, expect_tick{gather}, tick{}, expect_read{true, std::nullopt, {"x"}, std::nullopt, true},
      stop{},
      expect_answer{"a", "[]"}, read_ok{5, {}, {{5, "x"}}}, arrive{"late", {"x"}, 0}, expect_answer{"late", "[]"},
      expect_answered{2}, expect_no_read{}}},
};
} // namespace

BOOST_AUTO_TEST_SUITE(bus_core)

BOOST_AUTO_TEST_CASE(decisions_table)
{
    for (auto const& c : cases)
        run(c);
}

BOOST_AUTO_TEST_SUITE_END()
