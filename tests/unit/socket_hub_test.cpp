// The WebSocket hub's bookkeeping without sockets or PostgreSQL: subscribers found by channel,
// each new row offered once, the reads it asks for (from its mark, less the ids it has read),
// rows that commit out of id order, and the mark moving up only past ids older than 10 s.
// Also Odoo's message rate limit.
#include "routes/bus/message_rate.hpp"
#include "routes/bus/socket_hub.hpp"

#include <boost/test/unit_test.hpp>

#include <functional>

namespace {
using namespace lp::bus;
using clock_type = std::chrono::steady_clock;
using std::chrono::seconds;

struct recorder final : bus_subscriber {
    std::vector<std::int64_t> offered;
    int flushes = 0;
    std::function<void()> on_flush; ///< a send that closes a connection
    void offer(shared_row const& row) override { offered.push_back(row->id); }
    void flush() override
    {
        ++flushes;
        if (on_flush)
            on_flush();
    }
};

using gaps = std::vector<std::pair<std::int64_t, std::int64_t>>;

bus_row row(std::int64_t id, std::string key) { return bus_row{id, std::move(key), "{}", true}; }

struct fixture {
    int reads_asked = 0;
    std::vector<bool> listening;
    socket_hub hub{{[this] { ++reads_asked; }, [this](bool on) { listening.push_back(on); }}};
    clock_type::time_point t0 = clock_type::now();

    read_plan fetch_after(std::int64_t ceiling) const
    {
        read_plan plan;
        plan.after = ceiling;
        hub.extend(plan);
        return plan;
    }
};
} // namespace

BOOST_FIXTURE_TEST_SUITE(socket_hub, fixture)

BOOST_AUTO_TEST_CASE(rows_go_to_the_subscribers_of_their_channel_once_per_dispatch)
{
    recorder a, b;
    hub.subscribe(a, {"x", "y", "x"});
    hub.subscribe(b, {"y"});
    BOOST_TEST(listening == std::vector<bool>{true});
    hub.start_at(10, {}, t0);
    BOOST_TEST(reads_asked == 1);
    hub.deliver({row(11, "x"), row(12, "y"), row(13, "z")}, t0);
    BOOST_TEST(a.offered == (std::vector<std::int64_t>{11, 12}));
    BOOST_TEST(b.offered == std::vector<std::int64_t>{12});
    BOOST_TEST(a.flushes == 1);
    BOOST_TEST(b.flushes == 1);
    // The same rows read again (a window part starting lower) are not offered again.
    hub.deliver({row(11, "x"), row(12, "y")}, t0);
    BOOST_TEST(a.offered.size() == 2u);
    BOOST_TEST(a.flushes == 1);
    // A new subscribe replaces the channels.
    hub.subscribe(a, {"z"});
    hub.deliver({row(14, "x"), row(15, "z")}, t0);
    BOOST_TEST(a.offered == (std::vector<std::int64_t>{11, 12, 15}));
    hub.unsubscribe(a);
    hub.unsubscribe(b);
    BOOST_TEST(listening == (std::vector<bool>{true, false}));
    BOOST_TEST(hub.channels() == 0u);
}

BOOST_AUTO_TEST_CASE(a_subscriber_that_leaves_during_a_delivery_is_not_flushed)
{
    // Each one's flush unsubscribes the other: whichever goes first, the other is skipped.
    recorder a, b;
    a.on_flush = [&] { hub.unsubscribe(b); };
    b.on_flush = [&] { hub.unsubscribe(a); };
    hub.subscribe(a, {"x"});
    hub.subscribe(b, {"x"});
    hub.start_at(10, {}, t0);
    hub.deliver({row(11, "x")}, t0);
    BOOST_TEST(a.offered.size() + b.offered.size() == 2u);
    BOOST_TEST(a.flushes + b.flushes == 1);
}

BOOST_AUTO_TEST_CASE(reads_skip_what_was_read_and_catch_late_commits)
{
    recorder a;
    hub.subscribe(a, {"x"});
    // Before a mark, the hub adds nothing to a read.
    BOOST_TEST(!fetch_after(100).read_up_to);
    BOOST_TEST(*fetch_after(100).after == 100);
    hub.start_at(10, {}, t0);
    hub.deliver({row(11, "x"), row(13, "x")}, t0); // 12 is not committed yet
    auto plan = fetch_after(13);
    BOOST_TEST(*plan.after == 10); // from the mark, not the window's ceiling
    BOOST_TEST(*plan.read_up_to == 13);
    BOOST_TEST((plan.gaps == gaps{{11, 13}})); // 12 only
    hub.deliver({row(12, "x"), row(14, "x")}, t0 + seconds(1)); // 12 commits late
    BOOST_TEST(a.offered == (std::vector<std::int64_t>{11, 13, 12, 14}));

    // Ids leave the memory from the smallest up, once older than 10 s (11, not yet 12): the
    // mark follows.
    hub.deliver({}, t0 + seconds(11) - std::chrono::milliseconds(500));
    plan = fetch_after(14);
    BOOST_TEST(*plan.after == 14); // no gap left: after the highest read
    BOOST_TEST(!plan.read_up_to);
    hub.deliver({row(13, "x"), row(14, "x")}, t0 + seconds(11)); // read again: not offered
    BOOST_TEST(a.offered.size() == 4u);
}

BOOST_AUTO_TEST_CASE(an_id_stays_while_a_smaller_one_is_remembered)
{
    recorder a;
    hub.subscribe(a, {"x"});
    hub.start_at(1, {}, t0);
    hub.deliver({row(5, "x")}, t0);
    hub.deliver({row(3, "x")}, t0 + seconds(8));
    hub.deliver({}, t0 + seconds(12)); // 5 is old, but 3 (smaller) is not: both stay
    auto plan = fetch_after(5);
    BOOST_TEST(*plan.after == 1);
    BOOST_TEST((plan.gaps == gaps{{1, 3}, {3, 5}}));
    BOOST_TEST(*plan.read_up_to == 5);
}

BOOST_AUTO_TEST_CASE(the_only_subscriber_replacing_its_channels_keeps_the_mark_and_listening)
{
    recorder a;
    hub.subscribe(a, {"x"});
    hub.start_at(10, {}, t0);
    hub.deliver({row(11, "x"), row(13, "x")}, t0); // 12 is not committed yet
    hub.subscribe(a, {"x", "y"});                   // Odoo's client re-subscribes on every change
    BOOST_TEST(listening == std::vector<bool>{true});
    auto const plan = fetch_after(13);
    BOOST_TEST(*plan.after == 10); // still from the mark: 12 will be read when it commits
    BOOST_TEST((plan.gaps == gaps{{11, 13}}));
    hub.deliver({row(12, "y")}, t0);
    BOOST_TEST(a.offered == (std::vector<std::int64_t>{11, 13, 12}));
}

BOOST_AUTO_TEST_CASE(the_gaps_a_read_carries_are_bounded)
{
    recorder a;
    hub.subscribe(a, {"x"});
    hub.start_at(0, {}, t0);
    // Every other id committed: a gap below each, more than a read carries.
    std::vector<bus_row> rows;
    for (std::int64_t id = 2; id <= 2 * static_cast<std::int64_t>(lp::bus::socket_hub::max_gaps) + 20; id += 2)
        rows.push_back(row(id, "x"));
    hub.deliver(rows, t0);
    auto const plan = fetch_after(rows.back().id);
    BOOST_TEST(plan.gaps.size() == lp::bus::socket_hub::max_gaps);
    // Past the last gap, everything is read: rows read before come again, and are not offered.
    BOOST_TEST(*plan.read_up_to == plan.gaps.back().second);
    BOOST_TEST(*plan.read_up_to < rows.back().id);
    auto const offered = a.offered.size();
    hub.deliver(rows, t0 + seconds(1));
    BOOST_TEST(a.offered.size() == offered);
}

BOOST_AUTO_TEST_CASE(a_first_subscriber_starts_before_the_ids_committed_lately)
{
    recorder a;
    hub.subscribe(a, {"x"});
    // Its read saw 7 and 9 committed within the last 10 s, above 5: 6 and 8 are still to come.
    hub.start_at(5, {row(7, "x"), row(9, "y")}, t0);
    BOOST_TEST(reads_asked == 1);
    auto const plan = fetch_after(9);
    BOOST_TEST(*plan.after == 5);
    BOOST_TEST((plan.gaps == gaps{{5, 7}, {7, 9}}));
    hub.deliver({row(7, "x"), row(8, "x")}, t0); // 8 commits late; 7 was in the subscribe's read
    BOOST_TEST(a.offered == std::vector<std::int64_t>{8});
    hub.start_at(100, {}, t0); // a later start changes nothing
    BOOST_TEST(*fetch_after(9).after == 5);
}

BOOST_AUTO_TEST_CASE(rows_the_hub_started_with_above_the_long_polls_window_are_read_for_it)
{
    recorder a;
    hub.subscribe(a, {"x"});
    // The subscribe's read saw 11 and 12, which the long polls' window (read up to 10) has not.
    hub.start_at(5, {row(7, "x"), row(11, "x"), row(12, "x")}, t0);
    auto const plan = fetch_after(10);
    BOOST_TEST(*plan.read_up_to == 7); // 6 and 8-10 are still to come below the window's ceiling
    BOOST_TEST((plan.gaps == gaps{{5, 7}}));
    BOOST_TEST(*plan.after == 5); // everything after 7 but the gap, 11 and 12 included
    hub.deliver({row(11, "x"), row(12, "x"), row(13, "x")}, t0); // read again: not offered twice
    BOOST_TEST(a.offered == std::vector<std::int64_t>{13});
}

/// The ids of the rows replay() gives (nullopt: a read of bus_bus is needed).
std::optional<std::vector<std::int64_t>> replayed(lp::bus::socket_hub& hub, std::vector<std::string> const& keys,
                                                  std::int64_t last)
{
    auto rows = hub.replay(keys, last);
    if (!rows)
        return std::nullopt;
    std::vector<std::int64_t> ids;
    for (auto const& r : *rows)
        ids.push_back(r->id);
    return ids;
}

using ids = std::vector<std::int64_t>;

BOOST_AUTO_TEST_CASE(a_recent_last_is_answered_from_the_rows_read)
{
    recorder a;
    hub.subscribe(a, {"x"});
    BOOST_TEST(!replayed(hub, {"x"}, 10)); // no mark yet: the first subscriber reads
    // Started at 5 with 7 and 9 committed; 8 is still to come. Rows read before the start count too.
    hub.deliver({row(9, "y"), row(10, "x")}, t0);
    hub.start_at(5, {row(7, "x"), row(9, "y")}, t0);
    BOOST_TEST((replayed(hub, {"x", "y"}, 5) == ids{7, 9, 10}));
    BOOST_TEST((replayed(hub, {"x"}, 7) == ids{10}));
    BOOST_TEST((replayed(hub, {"x"}, 10) == ids{})); // the newest id read: nothing missed
    BOOST_TEST(!replayed(hub, {"x"}, 4));  // below the rows kept: a read
    BOOST_TEST(!replayed(hub, {"x"}, 0));  // the rows of the last bus timeout: a read
    BOOST_TEST(!replayed(hub, {"x"}, 11)); // above the newest read: maybe above bus_bus's newest
    // 8 commits late: kept in id order (and offered to the subscribers, not to a replay after it).
    hub.deliver({row(8, "x"), row(11, "x")}, t0 + seconds(1));
    BOOST_TEST((replayed(hub, {"x"}, 5) == ids{7, 8, 10, 11}));
    BOOST_TEST(hub.replays_from_memory() == 4u);
    // Nobody left: forgotten.
    hub.unsubscribe(a);
    hub.subscribe(a, {"x"});
    BOOST_TEST(!replayed(hub, {"x"}, 11));
}

BOOST_AUTO_TEST_CASE(ids_the_mark_gives_up_are_read_by_a_replay_from_below_them)
{
    recorder a;
    hub.subscribe(a, {"x"});
    hub.start_at(10, {}, t0);
    hub.deliver({row(11, "x"), row(13, "x"), row(14, "x")}, t0); // 12 not committed
    BOOST_TEST((replayed(hub, {"x"}, 10) == ids{11, 13, 14}));
    // 10 s later the mark passes 12 without having read it: a row 12 committing now is in
    // bus_bus and nowhere else, so a last below it reads.
    hub.deliver({}, t0 + seconds(11));
    BOOST_TEST(!replayed(hub, {"x"}, 11));
    BOOST_TEST((replayed(hub, {"x"}, 12) == ids{13, 14}));
}

BOOST_AUTO_TEST_CASE(the_rows_kept_are_bounded)
{
    recorder a;
    hub.subscribe(a, {"x"});
    hub.start_at(0, {}, t0);
    std::vector<bus_row> rows;
    auto const n = static_cast<std::int64_t>(lp::bus::replay_window::max_rows) + 10;
    for (std::int64_t id = 1; id <= n; ++id)
        rows.push_back(row(id, "x"));
    hub.deliver(rows, t0);
    BOOST_TEST(!replayed(hub, {"x"}, 9)); // the oldest 10 were dropped
    BOOST_TEST((replayed(hub, {"x"}, n - 1) == ids{n}));
    BOOST_TEST(replayed(hub, {"x"}, 10)->size() == lp::bus::replay_window::max_rows);
}

BOOST_AUTO_TEST_CASE(odoo_rate_limit)
{
    message_rate rate(10, std::chrono::milliseconds(200));
    for (int i = 0; i < 10; ++i)
        BOOST_TEST(rate.allow(t0));
    BOOST_TEST(!rate.allow(t0 + std::chrono::milliseconds(1999))); // the 11th within 10 × 0.2 s
    BOOST_TEST(rate.allow(t0 + seconds(2)));
}

BOOST_AUTO_TEST_SUITE_END()
