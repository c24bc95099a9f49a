// This server: Odoo's JSON-RPC POST /longpolling/poll (or a plain GET countdown route) and
// Odoo 16-18's /websocket (a subscribe message, then one frame per dispatch), fed by bus_bus
// rows and NOTIFY imbus exactly as Odoo 15 publishes them.
#include "bench/blocking_http.hpp"
#include "bench/http_client.hpp"
#include "bench/pg_control.hpp"
#include "bench/target.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cmath>
#include <mutex>

namespace bench {
namespace {
namespace json = boost::json;

// Every read of bus_bus, whatever its form, as pg_stat_statements records it (a LIKE pattern):
// the scenarios count them around a wake-up, when nothing else reads, or per message/answer.
constexpr char bus_select_pattern[] = "SELECT % FROM bus\\_bus%";

class lp_target final : public target {
public:
    explicit lp_target(options const& o)
        : o_(o), control_(o.pg_host, o.pg_port, o.pg_user, o.db),
          writer_(o.pg_host, o.pg_port, o.pg_user, o.db),
          notifier_(o.pg_host, o.pg_port, o.pg_user, o.notify_db)
    {
        // Odoo 15 stores a client's channel "x" as json.dumps(["<db>","x"]) (no spaces).
        channel_key_ = "[\"" + o.db + "\",\"" + o.channel + "\"]";
        host_header_ = "Host: " + o.host + ":" + std::to_string(o.port) + "\r\n";
        // The countdown outlives the hold: the answer must not come while we measure.
        countdown_ = static_cast<long long>(std::ceil(o.seconds + o.timeout + 60));
    }

    void start(client& c, cursor from) const override
    {
        c.last_id = from == cursor::current ? max_id_.load() : from == cursor::first ? 0 : 1;
    }

    std::string request(client const& c) const override
    {
        if (o_.route == lp_route::get)
            return "GET " + o_.longpolling_path + "/countdown/" + std::to_string(countdown_) + " HTTP/1.1\r\n"
                   + host_header_ + "\r\n";
        std::string const body = R"({"jsonrpc":"2.0","method":"call","params":{"channels":[")" + o_.channel
                                 + R"("],"last":)" + std::to_string(c.last_id) + R"(},"id":1})";
        return "POST /longpolling/poll HTTP/1.1\r\n" + host_header_
               + "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n"
               + body;
    }

    answer read(client& c, response const& r) const override
    {
        answer a;
        if (r.result_int() != 200) {
            a.error = "HTTP " + std::to_string(r.result_int());
            return a;
        }
        if (o_.route == lp_route::get) {
            a.ok = true;
            return a;
        }
        boost::system::error_code ec;
        auto const v = json::parse(r.body(), ec);
        json::array const* rows = nullptr;
        if (!ec && v.is_object())
            if (auto const* result = v.get_object().if_contains("result"); result && result->is_array())
                rows = &result->get_array();
        if (!rows) {
            a.error = "not a JSON-RPC result";
            return a;
        }
        return read_rows(c, *rows);
    }

    std::string websocket_path() const override { return "/websocket?version=17.0-1"; }

    std::string subscribe_message(client const& c) const override
    {
        return R"({"event_name":"subscribe","data":{"channels":[")" + o_.channel + R"("],"last":)"
               + std::to_string(c.last_id) + "}}";
    }

    answer read_message(client& c, std::string_view text) const override
    {
        // One frame per dispatch: [{"id":..,"message":{"type":..,"payload":..}}, ...]
        boost::system::error_code ec;
        auto const v = json::parse(text, ec);
        if (ec || !v.is_array())
            return {false, {}, "not a JSON array of notifications"};
        return read_rows(c, v.get_array());
    }

    /// Bus rows as the poll's result and the WebSocket's frames carry them.
    static answer read_rows(client& c, json::array const& rows)
    {
        answer a;
        for (auto const& row : rows) {
            auto const* o = row.if_object();
            auto const* id = o ? o->if_contains("id") : nullptr;
            if (!id || !id->is_int64()) {
                a.error = "a row without an id";
                return a;
            }
            c.last_id = std::max(c.last_id, id->get_int64());
            // {"type": channel, "payload": {"seq": n}}; rows of other channels (broadcast) are skipped.
            if (auto const* msg = o->if_contains("message"); msg && msg->is_object())
                if (auto const* payload = msg->get_object().if_contains("payload"); payload && payload->is_object())
                    if (auto const* seq = payload->get_object().if_contains("seq"); seq && seq->is_int64())
                        a.seqs.push_back(static_cast<std::uint64_t>(seq->get_int64()));
        }
        a.ok = true;
        return a;
    }

    void prepare() override
    {
        std::lock_guard lock(control_mutex_);
        max_id_ = control_.scalar("SELECT COALESCE(max(id), 0) FROM bus_bus");
    }

    std::optional<std::size_t> parked(std::size_t) override
    {
        // The server's stats route (scripts/bench starts it with --stats True): the bus's
        // waiting polls, or the handlers running for the GET route. Without it, the scenario
        // waits for the server to go quiet instead.
        auto const v = stats();
        if (!v.is_object())
            return std::nullopt; // no answer: fall back to waiting for the server to go quiet
        auto const* running = v.get_object().if_contains("handlers_running");
        if (!running || !running->is_number())
            return std::nullopt;
        auto const handlers = static_cast<std::size_t>(running->to_number<std::int64_t>());
        if (o_.route == lp_route::get)
            return handlers;
        json::value const* waiting = nullptr;
        json::value const* arriving = nullptr;
        if (auto const* bus = database_figures(v, "bus")) {
            waiting = bus->if_contains("waiting");
            arriving = bus->if_contains("arriving");
        }
        if (!waiting || !waiting->is_number())
            return std::nullopt;
        // A poll is held by the bus from the start, waits for the shared first read of the
        // polls arriving with it, then parks; handlers still running hold polls not yet there.
        auto held = static_cast<std::size_t>(waiting->to_number<std::int64_t>());
        if (arriving && arriving->is_number())
            held -= std::min(held, static_cast<std::size_t>(arriving->to_number<std::int64_t>()));
        return held > handlers ? held - handlers : 0;
    }

    std::optional<std::size_t> websockets_held() override
    {
        // /websocket clients whose subscription the socket hub holds.
        auto const v = stats();
        auto const* sockets = database_figures(v, "websockets");
        auto const* n = sockets ? sockets->if_contains("subscribed") : nullptr;
        if (!n || !n->is_number())
            return std::nullopt;
        return static_cast<std::size_t>(n->to_number<std::int64_t>());
    }

    void publish(std::uint64_t seq, std::atomic<std::int64_t>& sent_ns) override
    {
        // What Odoo 15's bus.bus._sendmany does: the row in the business transaction, then,
        // after commit, NOTIFY imbus with the JSON list of channels on the `postgres` database.
        std::string const message = R"({"type":")" + o_.channel + R"(","payload":{"seq":)" + std::to_string(seq) + "}}";
        writer_.query("INSERT INTO bus_bus (channel, message, create_date, write_date)"
                      " VALUES ($1, $2, now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc')",
                      {channel_key_, message});
        sent_ns.store(now_ns());
        notifier_.query("SELECT pg_notify('imbus', $1)", {"[" + channel_key_ + "]"});
    }

    json::object counters() override
    {
        std::lock_guard lock(control_mutex_);
        json::object c;
        if (auto n = control_.statement_calls(bus_select_pattern))
            c["bus_selects"] = *n;
        return c;
    }

private:
    /// The server's stats route (scripts/bench starts it with --stats True); null without it.
    json::value stats()
    {
        std::lock_guard lock(control_mutex_);
        blocking_reply reply;
        try {
            reply = stats_.request("GET", o_.longpolling_path + "/stats", {}, {});
        }
        catch (std::exception const&) {
            return nullptr;
        }
        boost::system::error_code ec;
        auto v = json::parse(reply.body, ec);
        if (reply.status != 200 || ec || !v.is_object())
            return nullptr;
        return v;
    }

    /// stats()["databases"][<db>][`part`], if there.
    json::object const* database_figures(json::value const& v, char const* part) const
    {
        auto const* dbs = v.is_object() ? v.get_object().if_contains("databases") : nullptr;
        auto const* db = dbs && dbs->is_object() ? dbs->get_object().if_contains(o_.db) : nullptr;
        auto const* figures = db && db->is_object() ? db->get_object().if_contains(part) : nullptr;
        return figures ? figures->if_object() : nullptr;
    }

    options const& o_;
    std::mutex control_mutex_;
    pg_control control_;  ///< reads and counts (business database)
    pg_control writer_;   ///< inserts bus_bus rows (business database)
    pg_control notifier_; ///< NOTIFY imbus (Odoo: the postgres database)
    blocking_http stats_{o_.host, o_.port}; ///< the stats route
    std::string channel_key_, host_header_;
    long long countdown_ = 0;
    std::atomic<std::int64_t> max_id_ = 0;
};

} // namespace

std::unique_ptr<target> make_lp_target(options const& o) { return std::make_unique<lp_target>(o); }

} // namespace bench
