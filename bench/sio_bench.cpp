// lp-sio-bench: N Socket.IO clients over raw WebSockets (Engine.IO v4: the handshake GET with
// EIO=4&transport=websocket, "40<nsp>," to join a namespace, "3" to each ping), against this
// server or the reference Node server (bench/socketio_reference.mjs). It measures the server's
// RSS per connected client, then R broadcasts to all of them: a controller connection sends
// 42<nsp>,["broadcast",{"round":r,...}] and the server re-emits it to every other socket; the
// latency is from just before that write to each client's read. Figures only, no assertions.
#include "bench/event_loop.hpp"
#include "bench/proc_stats.hpp"
#include "bench/report.hpp"
#include "bench/source_address.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <csignal>
#include <ctime>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using websocket = beast::websocket::stream<beast::tcp_stream>;
using bench::use_tuple;
using bench::error_object;
using bench::fixed;
using bench::latency_summary;
using bench::number;
using bench::now_ns;
using bench::pause_for;
using bench::print_report;

struct options {
    std::string target = "lp"; ///< only a label: lp or node
    std::string host = "127.0.0.1";
    std::string port = "8068";
    std::string path = "/socket.io/";
    std::string name_space = "/examples";
    std::size_t clients = 1000;
    std::size_t rounds = 5;
    double ramp = 2000; ///< new connections per second
    int source_addresses = 4;
    double timeout = 60; ///< longest wait for all to connect, and for each broadcast
    double settle = 2;   ///< seconds between the last connection and the RSS sample
    int server_pid = 0;
    std::string label;
};

[[noreturn]] void usage(std::string const& why)
{
    std::fprintf(stderr,
                 "lp-sio-bench: %s\n"
                 "usage: lp-sio-bench --url http://HOST:PORT --clients N [--rounds R] [--ramp CONN_PER_S]\n"
                 "                    [--server-pid PID] [--target lp|node] [--label TEXT] [--namespace /examples]\n"
                 "                    [--path /socket.io/] [--source-addresses K] [--timeout S] [--settle S]\n",
                 why.c_str());
    std::exit(2);
}

options parse(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string const flag = argv[i];
        if (i + 1 >= argc)
            usage(flag + " needs a value");
        std::string const v = argv[++i];
        try {
            if (flag == "--url") {
                auto const rest = v.substr(v.find("//") + 2);
                o.host = rest.substr(0, rest.find(':'));
                o.port = rest.substr(rest.find(':') + 1);
            }
            else if (flag == "--clients") o.clients = std::stoul(v);
            else if (flag == "--rounds") o.rounds = std::stoul(v);
            else if (flag == "--ramp") o.ramp = std::stod(v);
            else if (flag == "--server-pid") o.server_pid = std::stoi(v);
            else if (flag == "--target") o.target = v;
            else if (flag == "--label") o.label = v;
            else if (flag == "--namespace") o.name_space = v;
            else if (flag == "--path") o.path = v;
            else if (flag == "--source-addresses") o.source_addresses = std::max(1, std::min(250, std::stoi(v)));
            else if (flag == "--timeout") o.timeout = std::stod(v);
            else if (flag == "--settle") o.settle = std::stod(v);
            else usage("unknown flag " + flag);
        }
        catch (std::invalid_argument const&) {
            usage("bad value for " + flag + ": " + v);
        }
    }
    return o;
}

struct sio_run {
    explicit sio_run(options const& opts) : o(opts) {}
    options const& o;
    std::size_t connected = 0;
    std::size_t failed = 0;
    std::map<std::string, std::size_t> errors;
    std::vector<std::int64_t> sent_ns;            ///< per round: just before the controller's write
    std::vector<std::int64_t> done_ns;            ///< per round: when all had it (or the wait ended)
    std::vector<std::vector<double>> latency_ms;  ///< per round: one per client that got it
    bool stopping = false;

    void fail(std::string const& why)
    {
        ++failed;
        ++errors[why];
    }

    /// A WebSocket to the Engine.IO endpoint from 127.0.0.(2 + index % K), joined to the namespace.
    asio::awaitable<std::unique_ptr<websocket>> join(std::size_t index)
    {
        auto ws = std::make_unique<websocket>(co_await asio::this_coro::executor);
        auto& socket = beast::get_lowest_layer(*ws).socket();
        boost::system::error_code ec;
        bench::open_from_source(socket, index, o.source_addresses, ec);
        if (ec)
            throw boost::system::system_error(ec, "socket");
        co_await socket.async_connect(tcp::endpoint(asio::ip::make_address(o.host), static_cast<unsigned short>(std::stoi(o.port))),
                                      asio::use_awaitable);
        co_await ws->async_handshake(o.host + ":" + o.port, o.path + "?EIO=4&transport=websocket", asio::use_awaitable);
        beast::flat_buffer buffer;
        co_await ws->async_read(buffer, asio::use_awaitable); // 0{"sid":...}
        if (beast::buffers_to_string(buffer.data()).rfind('0', 0) != 0)
            throw std::runtime_error("no Engine.IO open packet");
        std::string const join_packet = "40" + nsp_prefix();
        co_await ws->async_write(asio::buffer(join_packet), asio::use_awaitable);
        for (;;) {
            buffer.clear();
            co_await ws->async_read(buffer, asio::use_awaitable);
            auto const text = beast::buffers_to_string(buffer.data());
            if (text == "2")
                co_await ws->async_write(asio::buffer(std::string("3")), asio::use_awaitable);
            else if (text.rfind("40" + nsp_prefix(), 0) == 0)
                co_return ws;
            else if (text.rfind("44", 0) == 0)
                throw std::runtime_error("CONNECT refused: " + text);
        }
    }

    /// "/examples," (nothing for "/").
    std::string nsp_prefix() const { return o.name_space == "/" ? "" : o.name_space + ","; }

    /// One subscriber: joins, then reads until stopped, answering pings and timing broadcasts.
    asio::awaitable<void> subscriber(std::size_t index)
    {
        std::unique_ptr<websocket> ws;
        try {
            ws = co_await join(index);
        }
        catch (std::exception const& e) {
            fail(std::string("join: ") + e.what());
            co_return;
        }
        ++connected;
        beast::flat_buffer buffer;
        std::string const event_prefix = "42" + nsp_prefix() + "[\"broadcast\",{\"round\":";
        while (!stopping) {
            buffer.clear();
            auto [ec, n] = co_await ws->async_read(buffer, use_tuple);
            if (ec) {
                if (!stopping)
                    fail("read: " + ec.message());
                break;
            }
            auto const at = now_ns();
            auto const text = beast::buffers_to_string(buffer.data());
            if (text == "2") {
                co_await ws->async_write(asio::buffer(std::string("3")), use_tuple);
            }
            else if (text.rfind(event_prefix, 0) == 0) {
                auto const round = std::stoul(text.substr(event_prefix.size()));
                if (round < sent_ns.size() && sent_ns[round] > 0)
                    latency_ms[round].push_back(static_cast<double>(at - sent_ns[round]) / 1e6);
            }
        }
        beast::get_lowest_layer(*ws).socket().close();
    }

    /// Round r: a fresh controller joins, emits the broadcast, and stays until all got it.
    asio::awaitable<void> broadcast(std::size_t round)
    {
        auto controller = co_await join(o.clients); // an index of its own
        // A message of a realistic size (a notification's worth of JSON).
        json::object payload{{"round", round}, {"text", std::string(120, 'x')}};
        auto const packet = "42" + nsp_prefix() + json::serialize(json::array{"broadcast", payload});
        sent_ns[round] = now_ns();
        co_await controller->async_write(asio::buffer(packet), asio::use_awaitable);
        auto const deadline = now_ns() + static_cast<std::int64_t>(o.timeout * 1e9);
        while (latency_ms[round].size() + failed < o.clients && now_ns() < deadline)
            co_await pause_for(1ms);
        done_ns[round] = now_ns();
        co_await pause_for(100ms); // the controller leaves after the fan-out, not during it
        beast::get_lowest_layer(*controller).socket().close();
    }

    asio::awaitable<void> run()
    {
        auto const executor = co_await asio::this_coro::executor;
        sent_ns.assign(o.rounds + 1, 0);
        done_ns.assign(o.rounds + 1, 0);
        latency_ms.assign(o.rounds + 1, {});
        json::object figures{{"target", o.target}, {"mode", "socketio"}, {"clients", o.clients}};
        if (!o.label.empty())
            figures["label"] = o.label;
        auto const before = bench_sample();
        auto const start = now_ns();
        for (std::size_t i = 0; i < o.clients; ++i) {
            asio::co_spawn(executor, subscriber(i), asio::detached);
            if (o.ramp > 0) {
                auto const due = start + static_cast<std::int64_t>(static_cast<double>(i + 1) / o.ramp * 1e9);
                if (due > now_ns())
                    co_await pause_for(std::chrono::nanoseconds(due - now_ns()));
            }
        }
        auto const deadline = now_ns() + static_cast<std::int64_t>(o.timeout * 1e9);
        while (connected + failed < o.clients && now_ns() < deadline)
            co_await pause_for(10ms);
        figures["ramp_s"] = number(static_cast<double>(now_ns() - start) / 1e9, 2);
        figures["connected"] = connected;
        co_await pause_for(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(o.settle)));
        auto const joined = bench_sample();
        if (before && joined) {
            figures["rss_before_kib"] = before->rss_kib;
            figures["rss_connected_kib"] = joined->rss_kib;
            figures["fds"] = joined->fds;
            if (connected > 0)
                figures["rss_per_client_bytes"] = number(
                    static_cast<double>(joined->rss_kib - before->rss_kib) * 1024.0 / static_cast<double>(connected));
        }

        std::vector<double> pooled;
        json::array per_round;
        std::int64_t cpu_total = 0;
        std::int64_t own_cpu_total = 0; ///< this client's: a fan-out can't be timed faster than it reads
        std::size_t rounds_done = 0;
        for (std::size_t round = 1; round <= o.rounds && connected > 0; ++round) {
            co_await pause_for(200ms);
            auto const cpu_before = server_cpu();
            auto const own_before = own_cpu_ns();
            co_await broadcast(round);
            if (auto const cpu_after = server_cpu(); cpu_before && cpu_after)
                cpu_total += *cpu_after - *cpu_before;
            own_cpu_total += own_cpu_ns() - own_before;
            ++rounds_done;
            pooled.insert(pooled.end(), latency_ms[round].begin(), latency_ms[round].end());
            auto summary = latency_summary(latency_ms[round]);
            // CLOCK_MONOTONIC seconds, as perf stamps its samples (LP_BENCH_PERF=1, bench/fanout_cpu.py).
            summary["published_at_s"] = number(static_cast<double>(sent_ns[round]) / 1e9, 6);
            summary["done_at_s"] = number(static_cast<double>(done_ns[round]) / 1e9, 6);
            per_round.push_back(std::move(summary));
        }
        figures["rounds"] = rounds_done;
        figures["delivered"] = pooled.size();
        figures["expected"] = connected * rounds_done;
        figures["errors"] = failed;
        figures["error_kinds"] = error_object(errors);
        auto summary = latency_summary(pooled);
        figures["latency_ms"] = summary;
        figures["latency_ms_by_round"] = std::move(per_round);
        if (rounds_done > 0 && o.server_pid > 0)
            figures["server_cpu_ms_per_broadcast"] =
                number(static_cast<double>(cpu_total) / 1e6 / static_cast<double>(rounds_done), 1);
        if (rounds_done > 0)
            figures["client_cpu_ms_per_broadcast"] =
                number(static_cast<double>(own_cpu_total) / 1e6 / static_cast<double>(rounds_done), 1);
        stopping = true;
        std::string per_client = figures.contains("rss_per_client_bytes")
                                     ? fixed(figures["rss_per_client_bytes"].to_number<double>(), 0) + " B per client"
                                     : std::string("RSS not sampled");
        print_report(figures, o.target + " socketio: " + std::to_string(connected) + "/" + std::to_string(o.clients)
                                  + " connected, " + per_client + "; " + std::to_string(pooled.size()) + "/"
                                  + std::to_string(connected * rounds_done) + " broadcasts delivered, latency p50 "
                                  + fixed(summary["p50"].to_number<double>(), 2) + " p99 "
                                  + fixed(summary["p99"].to_number<double>(), 2) + " max "
                                  + fixed(summary["max"].to_number<double>(), 2) + " ms");
    }

    std::optional<bench::proc_sample> bench_sample() const
    {
        return o.server_pid > 0 ? bench::sample_process(o.server_pid) : std::nullopt;
    }
    static std::int64_t own_cpu_ns()
    {
        timespec t{};
        ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
    }
    std::optional<std::int64_t> server_cpu() const
    {
        return o.server_pid > 0 ? bench::cpu_ns(o.server_pid) : std::nullopt;
    }
};

} // namespace

int main(int argc, char** argv)
{
    auto const o = parse(argc, argv);
    bench::raise_descriptor_limit(o.clients, "lp-sio-bench");
    std::signal(SIGPIPE, SIG_IGN);
    asio::io_context io(1);
    sio_run b(o);
    int status = 0;
    asio::co_spawn(io, b.run(), [&](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            }
            catch (std::exception const& x) {
                std::fprintf(stderr, "lp-sio-bench: %s\n", x.what());
            }
            status = 1;
        }
        io.stop();
    });
    io.run();
    return status;
}
