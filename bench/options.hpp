// lp-bench's command line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace bench {

enum class target_kind { lp, nchan };
enum class scenario { hold, fanout, stream, reconnect, departures, mixed };
enum class transport_kind { http, websocket };
enum class lp_route { poll, get };

struct options {
    target_kind target = target_kind::lp;
    scenario mode = scenario::hold;
    lp_route route = lp_route::poll; ///< lp only: Odoo's POST /longpolling/poll or GET .../countdown/<s>
    /// The subscribers' transport: long polls, or WebSockets (hold, fanout; lp: Odoo's /websocket).
    transport_kind transport = transport_kind::http;

    std::size_t clients = 1000;
    double seconds = 10;     ///< hold: how long the polls stay parked once all are
    double ramp = 4000;      ///< new connections per second while opening (0: all at once)
    int source_addresses = 4; ///< connect from 127.0.0.2 .. 127.0.0.(1+K), round-robin
    double timeout = 60;     ///< longest wait for all polls to park, or for deliveries

    // Where the server under test is.
    std::string host = "127.0.0.1";
    std::uint16_t port = 8068;
    int server_pid = 0; ///< read RSS and CPU time from /proc/PID (0: not reported)

    // lp: the database the server serves (to read bus_bus, publish, count queries).
    std::string db;
    std::string pg_host;
    std::string pg_port = "5432";
    std::string pg_user = "postgres";
    std::string notify_db = "postgres"; ///< where NOTIFY imbus is sent (Odoo: postgres)
    std::string longpolling_path = "/openerplongpolling";

    // nchan: its subscriber and publisher locations, the channel id appended.
    std::string sub_path = "/sub/";
    std::string pub_path = "/pub/";
    std::string ws_path = "/ws/"; ///< its WebSocket subscriber location

    std::string channel; ///< default: a fresh name per run
    std::string label;   ///< copied into the JSON line

    // fanout: publishes, one at a time, each once all polls are parked again
    std::size_t rounds = 1;
    bool repoll_at_once = false; ///< re-poll as soon as answered (Odoo's client), else at --ramp

    // mixed: --clients WebSockets and this many long polls on the same channel, one publish
    std::size_t long_polls = 1000;

    // stream
    std::size_t messages = 2000;
    double rate = 250; ///< messages per second (0: as fast as the publisher can)
    double grace = 10; ///< stream: seconds to wait for stragglers after the last publish
};

/// Parses argv; prints usage and exits 2 on a bad flag.
options parse_options(int argc, char** argv);

char const* name_of(target_kind);
char const* name_of(scenario);
char const* name_of(transport_kind);

} // namespace bench
