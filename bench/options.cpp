#include "bench/options.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <unistd.h>

namespace bench {
namespace {

[[noreturn]] void usage(std::string const& why)
{
    if (!why.empty())
        std::fprintf(stderr, "lp-bench: %s\n", why.c_str());
    std::fprintf(stderr,
                 "usage: lp-bench --target lp|nchan --mode hold|fanout|stream|reconnect|departures|mixed --clients N\n"
                 "                --url http://HOST:PORT\n"
                 "                [--seconds S] [--ramp CONN_PER_S] [--source-addresses K] [--timeout S]\n"
                 "                [--server-pid PID] [--channel NAME] [--label TEXT]\n"
                 "  lp:     --db DB --pg-host DIR [--pg-port 5432] [--pg-user postgres] [--notify-db postgres]\n"
                 "          [--route poll|get] [--longpolling-path /openerplongpolling]\n"
                 "                [--transport http|websocket] (hold, fanout: long polls, or WebSockets\n"
                 "                 subscribed to the channel; lp: Odoo's /websocket, nchan: --ws-path)\n"
                 "  nchan:  [--sub-path /sub/] [--pub-path /pub/] [--ws-path /ws/]\n"
                 "  fanout: [--rounds R] (R publishes, each to all N parked polls)\n"
                 "          [--repoll paced|at-once] (between rounds: at --ramp, or all at once like Odoo)\n"
                 "  stream: [--messages M] [--rate MSG_PER_S (0 = flat out)] [--grace S]\n"
                 "  reconnect: N clients open their first poll (lp: last = 0) at --ramp, then all go and\n"
                 "          come back with a stale cursor (lp: last = 1): errors, bus_bus reads, time\n"
                 "  departures: N parked clients vanish at once: time until the server holds none, RSS\n"
                 "  mixed:  N WebSockets and [--long-polls M] long polls on one channel, one publish: all\n"
                 "          delivered, bus_bus reads for the wake-up\n"
                 "Prints one JSON line of figures, then a human-readable line starting with '#'.\n");
    std::exit(2);
}

double to_double(std::string_view flag, std::string const& v)
{
    try {
        std::size_t used = 0;
        double d = std::stod(v, &used);
        if (used != v.size() || d < 0)
            throw std::invalid_argument(v);
        return d;
    }
    catch (std::exception const&) {
        usage(std::string(flag) + ": not a non-negative number: " + v);
    }
}

std::size_t to_count(std::string_view flag, std::string const& v)
{
    double d = to_double(flag, v);
    if (d != static_cast<double>(static_cast<std::size_t>(d)))
        usage(std::string(flag) + ": not a whole number: " + v);
    return static_cast<std::size_t>(d);
}

void parse_url(options& o, std::string const& url)
{
    std::string_view u = url;
    if (!u.starts_with("http://"))
        usage("--url must start with http://");
    u.remove_prefix(7);
    if (auto slash = u.find('/'); slash != std::string_view::npos)
        u = u.substr(0, slash);
    auto colon = u.rfind(':');
    if (colon == std::string_view::npos)
        usage("--url needs an explicit port");
    o.host = std::string(u.substr(0, colon));
    o.port = static_cast<std::uint16_t>(to_count("--url", std::string(u.substr(colon + 1))));
}

} // namespace

char const* name_of(target_kind t) { return t == target_kind::lp ? "lp" : "nchan"; }

char const* name_of(scenario s)
{
    switch (s) {
    case scenario::hold: return "hold";
    case scenario::fanout: return "fanout";
    case scenario::stream: return "stream";
    case scenario::reconnect: return "reconnect";
    case scenario::departures: return "departures";
    case scenario::mixed: return "mixed";
    }
    return "?";
}

char const* name_of(transport_kind t) { return t == transport_kind::http ? "http" : "websocket"; }

options parse_options(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view flag = argv[i];
        if (flag == "-h" || flag == "--help")
            usage("");
        if (i + 1 >= argc)
            usage(std::string(flag) + " needs a value");
        std::string v = argv[++i];
        if (flag == "--target") {
            if (v == "lp") o.target = target_kind::lp;
            else if (v == "nchan") o.target = target_kind::nchan;
            else usage("--target: lp or nchan");
        }
        else if (flag == "--mode") {
            if (v == "hold") o.mode = scenario::hold;
            else if (v == "fanout") o.mode = scenario::fanout;
            else if (v == "stream") o.mode = scenario::stream;
            else if (v == "reconnect") o.mode = scenario::reconnect;
            else if (v == "departures") o.mode = scenario::departures;
            else if (v == "mixed") o.mode = scenario::mixed;
            else usage("--mode: hold, fanout, stream, reconnect, departures or mixed");
        }
        else if (flag == "--transport") {
            if (v == "http") o.transport = transport_kind::http;
            else if (v == "websocket") o.transport = transport_kind::websocket;
            else usage("--transport: http or websocket");
        }
        else if (flag == "--route") {
            if (v == "poll") o.route = lp_route::poll;
            else if (v == "get") o.route = lp_route::get;
            else usage("--route: poll or get");
        }
        else if (flag == "--clients") o.clients = to_count(flag, v);
        else if (flag == "--seconds") o.seconds = to_double(flag, v);
        else if (flag == "--ramp") o.ramp = to_double(flag, v);
        else if (flag == "--source-addresses") o.source_addresses = static_cast<int>(to_count(flag, v));
        else if (flag == "--timeout") o.timeout = to_double(flag, v);
        else if (flag == "--url") parse_url(o, v);
        else if (flag == "--server-pid") o.server_pid = static_cast<int>(to_count(flag, v));
        else if (flag == "--db") o.db = v;
        else if (flag == "--pg-host") o.pg_host = v;
        else if (flag == "--pg-port") o.pg_port = v;
        else if (flag == "--pg-user") o.pg_user = v;
        else if (flag == "--notify-db") o.notify_db = v;
        else if (flag == "--longpolling-path") o.longpolling_path = v;
        else if (flag == "--sub-path") o.sub_path = v;
        else if (flag == "--pub-path") o.pub_path = v;
        else if (flag == "--ws-path") o.ws_path = v;
        else if (flag == "--long-polls") o.long_polls = to_count(flag, v);
        else if (flag == "--channel") o.channel = v;
        else if (flag == "--label") o.label = v;
        else if (flag == "--messages") o.messages = to_count(flag, v);
        else if (flag == "--rounds") o.rounds = to_count(flag, v);
        else if (flag == "--repoll") {
            if (v == "paced") o.repoll_at_once = false;
            else if (v == "at-once") o.repoll_at_once = true;
            else usage("--repoll: paced or at-once");
        }
        else if (flag == "--rate") o.rate = to_double(flag, v);
        else if (flag == "--grace") o.grace = to_double(flag, v);
        else usage("unknown flag " + std::string(flag));
    }
    if (o.clients == 0)
        usage("--clients must be at least 1");
    if (o.source_addresses < 1 || o.source_addresses > 250)
        usage("--source-addresses: 1 to 250");
    if (o.target == target_kind::lp && (o.db.empty() || o.pg_host.empty()))
        usage("--target lp needs --db and --pg-host (to read bus_bus, publish and count queries)");
    if (o.mode == scenario::stream && o.messages == 0)
        usage("--messages must be at least 1");
    if (o.rounds == 0)
        usage("--rounds must be at least 1");
    if (o.target == target_kind::nchan && o.route == lp_route::get)
        usage("--route get is for --target lp");
    if (o.mode == scenario::mixed)
        o.rounds = 1; // one publish: each long poll's answer ends it
    if (o.transport == transport_kind::websocket && o.mode != scenario::hold && o.mode != scenario::fanout)
        usage("--transport websocket is for --mode hold or fanout (mixed always has both)");
    if (o.channel.empty()) {
        auto const now = std::chrono::system_clock::now().time_since_epoch();
        o.channel = std::string("bench-") + name_of(o.mode) + "-" + std::to_string(::getpid()) + "-"
                    + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count() % 100000000);
    }
    return o;
}

} // namespace bench
