#include "bench/scenarios.hpp"

#include "bench/event_loop.hpp"
#include "bench/http_client.hpp"
#include "bench/proc_stats.hpp"
#include "bench/report.hpp"
#include "bench/target.hpp"
#include "bench/ws_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <thread>

namespace bench {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

/// Runs a blocking call (libpq, the control HTTP connection) on a helper thread while the
/// event loop keeps serving the clients; the loop only checks for the result every millisecond.
/// Nothing of Asio is touched off the loop's thread (Asio is built without thread support).
template <class F>
asio::awaitable<std::invoke_result_t<F&>> off_thread(F f)
{
    auto result = std::async(std::launch::async, std::move(f));
    asio::steady_timer tick(co_await asio::this_coro::executor);
    while (result.wait_for(0s) != std::future_status::ready) {
        tick.expires_after(1ms);
        co_await tick.async_wait(use_tuple);
    }
    co_return result.get();
}

double seconds_since(std::int64_t start_ns) { return static_cast<double>(now_ns() - start_ns) / 1e9; }

/// Everything a scenario works with.
struct run {
    options const& o;
    target& t;
    subscriber_fleet& clients;
    json::object figures;
    std::optional<proc_sample> server_before;
    double own_cpu_before = 0;
};

/// True once the server process has run less than 1 ms of CPU in each of two consecutive
/// 100 ms windows: every request it was sent has been read and handled (parked).
asio::awaitable<bool> server_quiet(int pid)
{
    for (int quiet = 0; quiet < 2; ++quiet) {
        auto const before = cpu_ns(pid);
        co_await pause_for(100ms);
        auto const after = cpu_ns(pid);
        if (!before || !after || *after - *before > 1'000'000)
            co_return false;
    }
    co_return true;
}

/// Waits until every client of `f` has its request (subscription) out and the server holds
/// them all: as the server counts them (its stats route, nchan's channel info), else when the
/// server has gone quiet, else one more second. False at the timeout. The server's count goes
/// to the figure `seen_figure`.
asio::awaitable<bool> wait_parked(run& r, subscriber_fleet& f, char const* seen_figure)
{
    auto const deadline = now_ns() + static_cast<std::int64_t>(r.o.timeout * 1e9);
    auto const n = f.size();
    while (now_ns() < deadline) {
        if (f.started() == n && f.written() + f.failed() >= n && f.waiting() + f.failed() + f.finished() >= n) {
            auto const expected = f.waiting();
            auto const answered = f.answers();
            auto const parked = co_await off_thread([&] { return f.held_by_server(answered); });
            if (parked && *parked >= expected) {
                r.figures[seen_figure] = *parked;
                co_return true;
            }
            if (!parked) {
                if (r.o.server_pid <= 0) {
                    co_await pause_for(1s);
                    co_return true;
                }
                if (co_await server_quiet(r.o.server_pid))
                    co_return true;
                continue;
            }
        }
        co_await pause_for(50ms);
    }
    co_return false;
}

asio::awaitable<bool> wait_parked(run& r) { return wait_parked(r, r.clients, "parked_seen_by_server"); }

void add_server_figures(run& r, std::optional<proc_sample> const& at_peak, std::optional<proc_sample> const& at_end,
                        std::size_t parked)
{
    r.figures["own_cpu_s"] = number(own_cpu_seconds() - r.own_cpu_before, 2);
    if (!r.server_before || !at_end)
        return;
    auto const peak_rss = std::max(at_peak ? at_peak->rss_kib : 0, at_end->rss_kib);
    json::object s{{"rss_before_kib", r.server_before->rss_kib},
                   {"rss_peak_kib", peak_rss},
                   {"rss_end_kib", at_end->rss_kib},
                   {"hwm_kib", at_end->hwm_kib},
                   {"cpu_s", number(at_end->cpu_seconds - r.server_before->cpu_seconds, 2)},
                   {"fds", at_peak ? at_peak->fds : at_end->fds}};
    if (parked > 0)
        s["rss_per_parked_poll_bytes"] =
            number(static_cast<double>(peak_rss - r.server_before->rss_kib) * 1024.0 / static_cast<double>(parked));
    r.figures["server"] = std::move(s);
}

json::object counter_growth(json::object const& before, json::object const& after)
{
    json::object growth;
    for (auto const& [key, value] : after)
        if (auto const* b = before.if_contains(key); b && b->is_number() && value.is_number())
            growth[key] = number(value.to_number<double>() - b->to_number<double>(), 3);
    return growth;
}

/// Adds after - before, key by key, into `sum`.
void add_growth(json::object& sum, json::object const& before, json::object const& after)
{
    for (auto const& [key, value] : counter_growth(before, after)) {
        double const previous = sum.contains(key) ? sum[key].to_number<double>() : 0;
        sum[key] = number(previous + value.to_number<double>(), 3);
    }
}

std::string server_text(json::object const& figures)
{
    auto const* s = figures.if_contains("server");
    if (!s)
        return "";
    auto const& o = s->get_object();
    std::string text = ", server cpu " + fixed(o.at("cpu_s").to_number<double>(), 2) + " s, rss "
                       + fixed(static_cast<double>(o.at("rss_peak_kib").to_number<std::int64_t>()) / 1024.0, 1) + " MiB";
    if (auto const* per = o.if_contains("rss_per_parked_poll_bytes"))
        text += " (" + fixed(per->to_number<double>(), 0) + " B per parked poll)";
    return text;
}

// --- hold ---

asio::awaitable<void> hold(run& r)
{
    auto const start = now_ns();
    co_await off_thread([&] { r.t.prepare(); });
    auto const counters_before = co_await off_thread([&] { return r.t.counters(); });
    asio::co_spawn(co_await asio::this_coro::executor, r.clients.open_all(), asio::detached);
    bool const all_parked = co_await wait_parked(r);
    r.figures["all_parked"] = all_parked;
    r.figures["ramp_s"] = number(seconds_since(start), 2);
    auto const counters_parked = co_await off_thread([&] { return r.t.counters(); });
    auto opening = counter_growth(counters_before, counters_parked);
    if (auto const* f = opening.if_contains("bus_selects"))
        r.figures["bus_queries_per_new_poll"] = number(f->to_number<double>() / static_cast<double>(r.o.clients), 3);
    auto const parked_at_start = r.clients.waiting();
    auto peak = sample_process(r.o.server_pid);

    auto const hold_start = now_ns();
    while (seconds_since(hold_start) < r.o.seconds) {
        co_await pause_for(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(std::min(1.0, r.o.seconds - seconds_since(hold_start)))));
        if (auto s = sample_process(r.o.server_pid); s && peak && s->rss_kib > peak->rss_kib)
            peak = std::move(s);
    }
    auto const end = sample_process(r.o.server_pid);
    auto const waiting = r.clients.waiting();
    auto const answered = r.clients.answers();
    auto const server_count = co_await off_thread([&] { return r.clients.held_by_server(answered); });
    // Parked: as the server counts them where it can tell (nchan), else polls still unanswered.
    auto const parked = server_count ? std::min(*server_count, waiting) : waiting;
    // Nothing is published: a poll answered while holding (503, timeout...) is an error.
    std::size_t const errors = r.clients.failed() + r.clients.finished();
    r.figures["parked_after_ramp"] = parked_at_start;
    r.figures["unanswered"] = waiting;
    if (server_count)
        r.figures["parked_seen_by_server"] = *server_count;
    r.figures["parked"] = parked;
    r.figures["still_open"] = r.clients.open_connections();
    r.figures["errors"] = errors;
    r.figures["error_kinds"] = error_object(r.clients.errors());
    add_server_figures(r, peak, end, parked);
    r.clients.stop();
    print_report(r.figures, std::string(name_of(r.o.target)) + " hold: " + std::to_string(r.o.clients) + " clients, "
                                + std::to_string(parked) + " parked after " + fixed(r.o.seconds, 0) + " s, "
                                + std::to_string(r.figures["still_open"].as_uint64()) + " still open, "
                                + std::to_string(errors) + " errors" + server_text(r.figures));
}

// --- reconnect: a crowd opening its polls at once (a restart, a deploy), twice ---

/// Waits until the server holds no subscriber any more (after the clients went), polling its
/// count; the seconds it took, or nothing at the timeout or when the server cannot tell.
asio::awaitable<std::optional<double>> wait_none_held(run& r)
{
    auto const start = now_ns();
    auto const deadline = start + static_cast<std::int64_t>(r.o.timeout * 1e9);
    while (now_ns() < deadline) {
        auto const held = co_await off_thread([&] { return r.clients.held_by_server(0); });
        if (!held)
            co_return std::nullopt;
        if (*held == 0)
            co_return seconds_since(start);
        co_await pause_for(10ms);
    }
    co_return std::nullopt;
}

/// Opens every client with its cursor `from` and waits until all are parked: the errors
/// they got, the server's work (bus_bus reads, CPU) and the time it took.
asio::awaitable<json::object> open_crowd(run& r, cursor from)
{
    auto const counters_before = co_await off_thread([&] { return r.t.counters(); });
    auto const cpu_before = cpu_ns(r.o.server_pid);
    auto const start = now_ns();
    asio::co_spawn(co_await asio::this_coro::executor, r.clients.open_all(from), asio::detached);
    bool const all_parked = co_await wait_parked(r);
    json::object phase{{"all_parked", all_parked}, {"seconds_to_all_parked", number(seconds_since(start), 2)}};
    auto const counters_after = co_await off_thread([&] { return r.t.counters(); });
    auto growth = counter_growth(counters_before, counters_after);
    if (auto const* f = growth.if_contains("bus_selects"))
        phase["bus_queries"] = *f;
    if (auto const cpu_after = cpu_ns(r.o.server_pid); cpu_before && cpu_after)
        phase["server_cpu_ms"] = number(static_cast<double>(*cpu_after - *cpu_before) / 1e6, 1);
    phase["parked"] = r.clients.waiting();
    // Nothing is published: any answer (a 503, a timeout) is an error.
    phase["errors"] = r.clients.failed() + r.clients.finished();
    phase["error_kinds"] = error_object(r.clients.errors());
    co_return phase;
}

asio::awaitable<void> reconnect(run& r)
{
    co_await off_thread([&] { r.t.prepare(); });
    auto first = co_await open_crowd(r, cursor::first);
    r.clients.stop();
    co_await r.clients.reset();
    if (auto gone = co_await wait_none_held(r))
        r.figures["seconds_to_none_held_between"] = number(*gone, 3);
    auto stale = co_await open_crowd(r, cursor::stale);
    auto const end = sample_process(r.o.server_pid);
    r.clients.stop();
    auto const text = [](json::object const& p) {
        return std::to_string(p.at("errors").as_uint64()) + " errors, "
               + (p.contains("bus_queries") ? fixed(p.at("bus_queries").to_number<double>(), 0) + " bus_bus reads, "
                                            : std::string())
               + "all parked in " + fixed(p.at("seconds_to_all_parked").to_number<double>(), 2) + " s";
    };
    auto const human = std::string(name_of(r.o.target)) + " reconnect: " + std::to_string(r.o.clients)
                       + " clients; first polls: " + text(first) + "; stale cursors: " + text(stale);
    r.figures["errors"] = first.at("errors").as_uint64() + stale.at("errors").as_uint64();
    r.figures["first"] = std::move(first);
    r.figures["stale"] = std::move(stale);
    add_server_figures(r, end, end, 0);
    print_report(r.figures, human + server_text(r.figures));
}

// --- departures: parked clients that vanish at once ---

asio::awaitable<void> departures(run& r)
{
    co_await off_thread([&] { r.t.prepare(); });
    asio::co_spawn(co_await asio::this_coro::executor, r.clients.open_all(), asio::detached);
    bool const all_parked = co_await wait_parked(r);
    r.figures["all_parked"] = all_parked;
    auto const parked = r.clients.waiting();
    r.figures["parked"] = parked;
    auto const at_parked = sample_process(r.o.server_pid);
    r.clients.stop(); // every client closes its connection
    auto const gone = co_await wait_none_held(r);
    auto const at_none = sample_process(r.o.server_pid);
    co_await pause_for(2500ms);
    auto const settled = sample_process(r.o.server_pid);
    r.figures["errors"] = r.clients.failed() + r.clients.finished();
    r.figures["error_kinds"] = error_object(r.clients.errors());
    if (gone)
        r.figures["seconds_to_none_held"] = number(*gone, 3);
    add_server_figures(r, at_parked, settled, parked);
    auto const mib = [](std::optional<proc_sample> const& s) {
        return s ? fixed(static_cast<double>(s->rss_kib) / 1024.0, 1) : std::string("?");
    };
    if (auto* s = r.figures.if_contains("server"); s && at_none)
        s->get_object()["rss_when_none_held_kib"] = at_none->rss_kib;
    print_report(r.figures, std::string(name_of(r.o.target)) + " departures: " + std::to_string(parked)
                                + " parked clients vanished; none held after "
                                + (gone ? fixed(*gone, 3) + " s" : std::string("(not seen)")) + "; RSS idle "
                                + mib(r.server_before) + " MiB, parked " + mib(at_parked) + " MiB, when none held "
                                + mib(at_none) + " MiB, 2.5 s later " + mib(settled) + " MiB");
}

// --- messages numbered 1..M, shared by fanout (one per round) and stream ---

struct message_log {
    explicit message_log(std::size_t m) : count(m), published_ns(new std::atomic<std::int64_t>[m + 1]), delivered(m + 1)
    {
        for (std::size_t i = 0; i <= m; ++i)
            published_ns[i] = 0;
    }
    std::size_t count;
    std::unique_ptr<std::atomic<std::int64_t>[]> published_ns; ///< per seq, set by the publisher thread
    std::vector<std::size_t> delivered;                         ///< per seq: clients that got it
    std::vector<double> latency_ms;                             ///< per delivered notification
    std::vector<std::vector<double>> latency_by_seq;            ///< fanout: per round
    std::size_t answers_with_news = 0;
    std::size_t dropped = 0; ///< fanout: clients that got an error instead of the message
};

// --- fanout ---

asio::awaitable<void> fanout(run& r, message_log& log)
{
    co_await off_thread([&] { r.t.prepare(); });
    asio::co_spawn(co_await asio::this_coro::executor, r.clients.open_all(), asio::detached);
    auto const n = r.o.clients;
    auto const rounds = r.o.rounds;
    log.latency_by_seq.resize(rounds + 1);

    std::optional<proc_sample> peak;
    json::array per_round;
    json::object wake_growth;   ///< counters' growth from each publish to its last answer
    json::object repoll_growth; ///< and from there to the next publish (the re-polls)
    std::optional<json::object> after_previous;
    std::size_t rounds_done = 0;
    std::int64_t fanout_cpu_ns = 0; ///< the server's CPU from each publish to its last answer
    bool all_parked = true;
    for (std::size_t round = 1; round <= rounds; ++round) {
        all_parked = co_await wait_parked(r) && all_parked;
        if (round == 1) {
            r.figures["parked"] = r.clients.waiting();
            peak = sample_process(r.o.server_pid);
            r.server_before = sample_process(r.o.server_pid); // CPU of the fan-outs only
        }
        else {
            co_await pause_for(100ms); // the re-polls' own work is over before the next publish
        }
        auto const before = co_await off_thread([&] { return r.t.counters(); });
        if (after_previous)
            add_growth(repoll_growth, *after_previous, before);
        // Paced re-polls wait until this round is measured: only the wake-up runs meanwhile.
        r.clients.close_gate();
        auto const cpu_at_publish = cpu_ns(r.o.server_pid);
        co_await off_thread([&] { r.t.publish(round, log.published_ns[round]); });
        auto const deadline = now_ns() + static_cast<std::int64_t>(r.o.timeout * 1e9);
        auto const gone = [&] { return r.clients.failed() + log.dropped; };
        while (log.delivered[round] + gone() < n && now_ns() < deadline)
            co_await pause_for(1ms);
        auto const done_ns = now_ns();
        if (auto const cpu_at_end = cpu_ns(r.o.server_pid); cpu_at_publish && cpu_at_end)
            fanout_cpu_ns += *cpu_at_end - *cpu_at_publish;
        auto const after = co_await off_thread([&] { return r.t.counters(); });
        add_growth(wake_growth, before, after);
        after_previous = after;
        r.clients.open_gate();
        auto lat = log.latency_by_seq[round];
        auto summary = latency_summary(lat);
        // CLOCK_MONOTONIC seconds, as `perf record -k CLOCK_MONOTONIC` stamps its samples: a
        // profile of the fan-outs alone is `perf report --time START,END` (LP_BENCH_PERF=1).
        summary["published_at_s"] = number(static_cast<double>(log.published_ns[round].load()) / 1e9, 6);
        summary["done_at_s"] = number(static_cast<double>(done_ns) / 1e9, 6);
        per_round.push_back(std::move(summary));
        ++rounds_done;
        if (log.delivered[round] + gone() < n || gone() > 0)
            break; // some never came or were refused: later rounds would not be comparable
    }
    co_await pause_for(200ms);
    auto const end = sample_process(r.o.server_pid);
    r.clients.stop();

    std::size_t delivered = 0;
    std::vector<double> pooled;
    for (std::size_t round = 1; round <= rounds_done; ++round) {
        delivered += log.delivered[round];
        pooled.insert(pooled.end(), log.latency_by_seq[round].begin(), log.latency_by_seq[round].end());
    }
    auto summary = latency_summary(pooled);
    r.figures["all_parked"] = all_parked;
    r.figures["rounds"] = rounds_done;
    r.figures["repoll"] = r.o.transport == transport_kind::websocket ? "none (WebSocket)"
                          : r.o.repoll_at_once                        ? "at once"
                                                                      : "paced";
    r.figures["delivered"] = delivered;
    r.figures["expected"] = n * rounds;
    r.figures["errors"] = n * rounds - delivered;
    r.figures["error_kinds"] = error_object(r.clients.errors());
    r.figures["latency_ms"] = summary;
    r.figures["latency_ms_by_round"] = std::move(per_round);
    if (auto const* f = wake_growth.if_contains("bus_selects"); f && rounds_done > 0)
        r.figures["bus_queries_per_wakeup"] = number(f->to_number<double>() / static_cast<double>(rounds_done), 2);
    if (auto const* f = repoll_growth.if_contains("bus_selects"))
        r.figures["bus_queries_by_repolls"] = number(f->to_number<double>());
    r.figures["server_counters_wakeups"] = std::move(wake_growth);
    r.figures["server_counters_repolls"] = std::move(repoll_growth);
    add_server_figures(r, peak, end, 0);
    if (auto* s = r.figures.if_contains("server"); s && rounds_done > 0)
        s->get_object()["cpu_ms_per_fanout"] =
            number(static_cast<double>(fanout_cpu_ns) / 1e6 / static_cast<double>(rounds_done), 1);
    print_report(r.figures, std::string(name_of(r.o.target)) + " fanout: " + std::to_string(delivered) + "/"
                                + std::to_string(n * rounds) + " delivered (" + std::to_string(rounds_done)
                                + " rounds), latency p50 " + fixed(summary["p50"].to_number<double>(), 2) + " p90 "
                                + fixed(summary["p90"].to_number<double>(), 2) + " p99 "
                                + fixed(summary["p99"].to_number<double>(), 2) + " max "
                                + fixed(summary["max"].to_number<double>(), 2) + " ms"
                                + (r.figures.contains("bus_queries_per_wakeup")
                                       ? ", bus_bus queries per wake-up "
                                             + fixed(r.figures["bus_queries_per_wakeup"].to_number<double>(), 2)
                                       : std::string())
                                + server_text(r.figures));
}

// --- stream ---

asio::awaitable<void> stream(run& r, message_log& st)
{
    co_await off_thread([&] { r.t.prepare(); });
    asio::co_spawn(co_await asio::this_coro::executor, r.clients.open_all(), asio::detached);
    bool const all_parked = co_await wait_parked(r);
    r.figures["all_parked"] = all_parked;
    auto const before = co_await off_thread([&] { return r.t.counters(); });
    r.server_before = sample_process(r.o.server_pid);
    auto const answers_before = [&] {
        std::size_t n = 0;
        for (auto const& c : r.clients.clients())
            n += c.answers;
        return n;
    }();

    auto const m = r.o.messages;
    auto const rate = r.o.rate;
    auto publisher = std::async(std::launch::async, [&r, &st, m, rate] {
        auto const start = std::chrono::steady_clock::now();
        for (std::size_t seq = 1; seq <= m; ++seq) {
            if (rate > 0)
                std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                          std::chrono::duration<double>(static_cast<double>(seq - 1) / rate)));
            r.t.publish(seq, st.published_ns[seq]);
        }
        return now_ns();
    });
    std::int64_t publish_end = 0;
    auto const hard_deadline =
        now_ns() + static_cast<std::int64_t>((rate > 0 ? static_cast<double>(m) / rate : 0) * 1e9 + r.o.timeout * 1e9);
    std::string publish_error;
    for (;;) {
        co_await pause_for(5ms);
        if (!publish_end && publisher.wait_for(0s) == std::future_status::ready) {
            try {
                publish_end = publisher.get();
            }
            catch (std::exception const& e) {
                publish_error = e.what();
                publish_end = now_ns();
            }
        }
        if (r.clients.finished() + r.clients.failed() >= r.o.clients && publish_end)
            break;
        if (publish_end && now_ns() > publish_end + static_cast<std::int64_t>(r.o.grace * 1e9))
            break;
        if (now_ns() > hard_deadline && publish_end)
            break;
    }
    auto const end = sample_process(r.o.server_pid);
    co_await pause_for(200ms);
    auto const after = co_await off_thread([&] { return r.t.counters(); });
    r.clients.stop();

    std::uint64_t delivered = 0, duplicated = 0, lost = 0, answers = 0;
    std::size_t clients_with_loss = 0, clients_with_dup = 0;
    std::int64_t last_delivery = 0;
    for (auto& c : r.clients.clients()) {
        if (c.next_seq <= m)
            c.lost += m - c.next_seq + 1; // never came
        delivered += c.delivered;
        duplicated += c.duplicated;
        lost += c.lost;
        answers += c.answers;
        clients_with_loss += c.lost > 0;
        clients_with_dup += c.duplicated > 0;
        if (c.delivered > 0)
            last_delivery = std::max(last_delivery, c.answered_ns);
    }
    auto const first_publish = st.published_ns[1].load();
    double const span_s = static_cast<double>(last_delivery - first_publish) / 1e9;
    double const publish_s = static_cast<double>(publish_end - first_publish) / 1e9;
    auto const polls = answers - answers_before;
    r.figures["messages"] = m;
    r.figures["rate_asked"] = number(rate, 3);
    r.figures["publish_rate"] = number(static_cast<double>(m) / std::max(publish_s, 1e-9));
    r.figures["expected"] = static_cast<std::uint64_t>(m) * r.o.clients;
    r.figures["delivered"] = delivered;
    r.figures["delivered_per_s"] = number(span_s > 0 ? static_cast<double>(delivered) / span_s : 0);
    r.figures["lost"] = lost;
    r.figures["duplicated"] = duplicated;
    r.figures["clients_with_loss"] = clients_with_loss;
    r.figures["clients_with_dup"] = clients_with_dup;
    r.figures["answers"] = polls;
    r.figures["notifications_per_answer"] =
        number(static_cast<double>(delivered) / std::max<double>(1, static_cast<double>(st.answers_with_news)), 1);
    r.figures["span_s"] = number(span_s, 3);
    r.figures["latency_ms"] = latency_summary(st.latency_ms);
    r.figures["errors"] = r.clients.failed();
    r.figures["error_kinds"] = error_object(r.clients.errors());
    if (!publish_error.empty())
        r.figures["publish_error"] = publish_error;
    auto growth = counter_growth(before, after);
    if (auto const* f = growth.if_contains("bus_selects")) {
        r.figures["bus_queries_per_message"] = number(f->to_number<double>() / static_cast<double>(m), 2);
        r.figures["bus_queries_per_answer"] =
            number(f->to_number<double>() / std::max<double>(1, static_cast<double>(polls)), 2);
    }
    r.figures["server_counters"] = std::move(growth);
    add_server_figures(r, end, end, 0);
    print_report(r.figures, std::string(name_of(r.o.target)) + " stream: " + std::to_string(r.o.clients)
                                + " clients x " + std::to_string(m) + " messages at "
                                + fixed(r.figures["publish_rate"].to_number<double>(), 0) + "/s: "
                                + fixed(r.figures["delivered_per_s"].to_number<double>(), 0)
                                + " delivered/s, lost " + std::to_string(lost) + ", duplicated "
                                + std::to_string(duplicated) + ", latency p50 "
                                + fixed(r.figures["latency_ms"].at("p50").to_number<double>(), 1) + " p99 "
                                + fixed(r.figures["latency_ms"].at("p99").to_number<double>(), 1) + " ms"
                                + server_text(r.figures));
}

// --- mixed: WebSockets and long polls on one channel, one publish ---

/// From the publish to each delivery, for the clients of `f` that got message 1 (the only
/// one: each client's latest answer or message is it).
std::vector<double> latencies_of(subscriber_fleet& f, std::int64_t sent_ns)
{
    std::vector<double> ms;
    for (auto const& c : f.clients())
        if (c.delivered > 0)
            ms.push_back(static_cast<double>(c.answered_ns - sent_ns) / 1e6);
    return ms;
}

asio::awaitable<void> mixed(run& r, subscriber_fleet& polls, message_log& log)
{
    co_await off_thread([&] { r.t.prepare(); });
    auto const executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, r.clients.open_all(), asio::detached);
    asio::co_spawn(executor, polls.open_all(), asio::detached);
    bool all_parked = co_await wait_parked(r, r.clients, "websockets_seen_by_server");
    all_parked = co_await wait_parked(r, polls, "long_polls_seen_by_server") && all_parked;
    r.figures["all_parked"] = all_parked;
    r.figures["websockets"] = r.clients.waiting();
    r.figures["long_polls"] = polls.waiting();
    auto const peak = sample_process(r.o.server_pid);
    co_await pause_for(100ms);
    auto const before = co_await off_thread([&] { return r.t.counters(); });
    auto const cpu_at_publish = cpu_ns(r.o.server_pid);
    co_await off_thread([&] { r.t.publish(1, log.published_ns[1]); });
    auto const n = r.clients.size() + polls.size();
    auto const deadline = now_ns() + static_cast<std::int64_t>(r.o.timeout * 1e9);
    while (log.delivered[1] + r.clients.failed() + polls.failed() + log.dropped < n && now_ns() < deadline)
        co_await pause_for(1ms);
    auto const cpu_at_end = cpu_ns(r.o.server_pid);
    auto const after = co_await off_thread([&] { return r.t.counters(); });
    auto const end = sample_process(r.o.server_pid);
    r.clients.stop();
    polls.stop();

    auto const sent = log.published_ns[1].load();
    auto ws_ms = latencies_of(r.clients, sent);
    auto poll_ms = latencies_of(polls, sent);
    r.figures["delivered_websockets"] = ws_ms.size();
    r.figures["delivered_long_polls"] = poll_ms.size();
    r.figures["delivered"] = log.delivered[1];
    r.figures["expected"] = n;
    r.figures["errors"] = n - log.delivered[1];
    auto kinds = error_object(r.clients.errors());
    for (auto const& [what, count] : polls.errors())
        kinds[std::string("long poll: ") + what] = count;
    r.figures["error_kinds"] = std::move(kinds);
    r.figures["latency_ms_websockets"] = latency_summary(ws_ms);
    r.figures["latency_ms_long_polls"] = latency_summary(poll_ms);
    auto growth = counter_growth(before, after);
    if (auto const* f = growth.if_contains("bus_selects"))
        r.figures["bus_queries_per_wakeup"] = *f;
    r.figures["server_counters_wakeup"] = std::move(growth);
    add_server_figures(r, peak, end, 0);
    if (auto* s = r.figures.if_contains("server"); s && cpu_at_publish && cpu_at_end)
        s->get_object()["cpu_ms_per_fanout"] = number(static_cast<double>(*cpu_at_end - *cpu_at_publish) / 1e6, 1);
    print_report(r.figures, std::string(name_of(r.o.target)) + " mixed: one publish to " + std::to_string(r.clients.size())
                                + " WebSockets and " + std::to_string(polls.size()) + " long polls: "
                                + std::to_string(ws_ms.size()) + " + " + std::to_string(poll_ms.size())
                                + " delivered, latency p99 " + fixed(r.figures["latency_ms_websockets"].at("p99").to_number<double>(), 1)
                                + " / " + fixed(r.figures["latency_ms_long_polls"].at("p99").to_number<double>(), 1) + " ms"
                                + (r.figures.contains("bus_queries_per_wakeup")
                                       ? ", bus_bus queries for the wake-up "
                                             + fixed(r.figures["bus_queries_per_wakeup"].to_number<double>(), 0)
                                       : std::string())
                                + server_text(r.figures));
}

} // namespace

int run_scenario(options const& o)
{
    asio::io_context io(1);
    auto t = o.target == target_kind::lp ? make_lp_target(o) : make_nchan_target(o);

    message_log log(o.mode == scenario::stream                                   ? o.messages
                    : o.mode == scenario::fanout || o.mode == scenario::mixed ? o.rounds
                                                                                : 0);
    subscriber_fleet* polls = nullptr; ///< the long-poll fleet, for its error counts
    subscriber_fleet* sockets = nullptr; ///< the WebSocket fleet

    // Counts the numbered messages an answer brought, in order, once each.
    auto account = [&](client& c, answer const& a) {
        if (!a.seqs.empty())
            ++log.answers_with_news;
        for (auto seq : a.seqs) {
            if (seq == c.next_seq) {
                ++c.delivered;
                ++c.next_seq;
            }
            else if (seq < c.next_seq) {
                ++c.duplicated;
                continue;
            }
            else {
                c.lost += seq - c.next_seq;
                ++c.delivered;
                c.next_seq = seq + 1;
            }
            if (seq >= 1 && seq <= log.count) {
                ++log.delivered[seq];
                // (mixed reads each kind's latencies from its clients: latencies_of)
                if (auto sent = log.published_ns[seq].load(); sent > 0 && o.mode != scenario::mixed) {
                    double const ms = static_cast<double>(c.answered_ns - sent) / 1e6;
                    if (o.mode == scenario::stream)
                        log.latency_ms.push_back(ms);
                    else
                        log.latency_by_seq[seq].push_back(ms);
                }
            }
        }
    };

    auto on_answer = [&](client& c, response const& reply) -> next_step {
        answer a = t->read(c, reply);
        if (!a.ok)
            polls->note_error(a.error);
        switch (o.mode) {
        case scenario::hold:
        case scenario::reconnect:
        case scenario::departures:
            if (a.ok) // Nothing is published: any answer while holding is a failure of the hold.
                polls->note_error("answered while parked: HTTP " + std::to_string(reply.result_int()));
            return next_step::stop;
        case scenario::fanout:
        case scenario::mixed:
            if (!a.ok || a.seqs.empty()) {
                if (a.ok)
                    polls->note_error("answered without the message");
                ++log.dropped;
                return next_step::stop;
            }
            account(c, a);
            // The last round's connections stay open: closing them now would make the server
            // handle disconnections in the middle of its fan-out.
            if (c.next_seq > o.rounds)
                return next_step::stop_keep_open;
            return o.repoll_at_once ? next_step::ask_again : next_step::ask_again_paced;
        case scenario::stream:
            if (!a.ok)
                return next_step::ask_again_later;
            account(c, a);
            return c.next_seq > o.messages ? next_step::stop : next_step::ask_again;
        }
        return next_step::stop;
    };

    // A WebSocket stays subscribed: its messages are counted, nothing is asked again.
    auto on_message = [&](client& c, answer const& a) {
        if (!a.ok)
            sockets->note_error(a.error);
        else if (o.mode == scenario::hold)
            sockets->note_error("a message while holding");
        else
            account(c, a);
    };

    std::unique_ptr<subscriber_fleet> subscribers, long_polls;
    if (o.transport == transport_kind::websocket || o.mode == scenario::mixed) {
        subscribers = std::make_unique<ws_fleet>(io, *t, o, o.clients, on_message);
        sockets = subscribers.get();
        if (o.mode == scenario::mixed) {
            long_polls = std::make_unique<fleet>(io, *t, o, o.long_polls, on_answer);
            polls = long_polls.get();
        }
    }
    else {
        subscribers = std::make_unique<fleet>(io, *t, o, o.clients, on_answer);
        polls = subscribers.get();
    }

    run r{o, *t, *subscribers, {}, sample_process(o.server_pid), own_cpu_seconds()};
    char const* route = o.target == target_kind::nchan ? "nchan longpoll"
                        : o.route == lp_route::get    ? "GET countdown"
                                                      : "POST /longpolling/poll";
    if (o.mode == scenario::mixed)
        route = o.target == target_kind::nchan ? "nchan websocket + longpoll" : "GET /websocket + POST /longpolling/poll";
    else if (o.transport == transport_kind::websocket)
        route = o.target == target_kind::nchan ? "nchan websocket" : "GET /websocket (Odoo 16-18)";
    r.figures = {{"target", name_of(o.target)},
                 {"mode", name_of(o.mode)},
                 {"transport", o.mode == scenario::mixed ? "both" : name_of(o.transport)},
                 {"clients", o.clients},
                 {"route", route}};
    if (!o.label.empty())
        r.figures["label"] = o.label;
    if (o.mode == scenario::hold)
        r.figures["seconds"] = number(o.seconds, 3);

    int status = 0;
    auto supervisor = [&]() -> asio::awaitable<void> {
        switch (o.mode) {
        case scenario::hold: co_await hold(r); break;
        case scenario::fanout: co_await fanout(r, log); break;
        case scenario::stream: co_await stream(r, log); break;
        case scenario::reconnect: co_await reconnect(r); break;
        case scenario::departures: co_await departures(r); break;
        case scenario::mixed: co_await mixed(r, *long_polls, log); break;
        }
    };
    asio::co_spawn(io, supervisor(), [&](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            }
            catch (std::exception const& x) {
                std::fprintf(stderr, "lp-bench: %s\n", x.what());
            }
            status = 1;
        }
        subscribers->stop();
        if (long_polls)
            long_polls->stop();
        io.stop();
    });
    io.run();
    // Let the clients' coroutines see their closed sockets and end while their fleets exist.
    io.restart();
    io.run_for(std::chrono::seconds(2));
    return status;
}

} // namespace bench
