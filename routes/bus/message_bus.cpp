#include "routes/bus/message_bus.hpp"

#include "orm_bridge/log.hpp"
#include "orm_bridge/metrics.hpp"
#include "routes/bus/fetch_driver.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

namespace lp::bus {
namespace asio = boost::asio;
namespace json = boost::json;
using clock = std::chrono::steady_clock;

namespace {
auto& fan_out_time = metrics::declare_histogram("lp_bus_fanout_duration_seconds",
                                                "Time to answer the polls a read of bus_bus concerned");
} // namespace

/// One database's bus: its core, and the timers and reads its actions ask for.
class message_bus::shell final : public bus_actions {
public:
    shell(asio::any_io_executor executor, orm::database& db, bus_settings const& settings)
        : core(*this), hub({[this] { core.notified(); }, [this](bool on) { core.set_external_listeners(on); }}),
          replays(executor, db, settings.odoo_version, settings.timeout), session_checks(executor), executor_(executor), db_(db),
          settings_(settings), tick_(executor), expiry_(executor),
          alive_(std::make_shared<bool>(true))
    {
    }
    ~shell() override { *alive_ = false; }

    bus_core core;
    socket_hub hub; ///< the WebSockets, fed from the same reads
    replay_reads replays; ///< their subscribes' reads, shared
    bus::session_checks session_checks; ///< their session checks, shared per wake-up

    /// After every event: the expiry timer follows the earliest poll.
    void follow_expiry()
    {
        auto const next = core.next_expiry();
        if (!next || *next >= armed_for_)
            return; // nothing to expire, or the timer already fires in time
        armed_for_ = *next;
        expiry_.expires_at(*next);
        expiry_.async_wait([this](boost::system::error_code ec) {
            if (ec)
                return; // re-armed for an earlier poll, or stopping
            armed_for_ = clock::time_point::max();
            core.expire_due(clock::now());
            follow_expiry();
        });
    }

    void stop()
    {
        tick_.cancel();
        expiry_.cancel();
        core.stop();
    }

    void start_read(read_plan plan) override
    {
        hub.extend(plan);
        asio::co_spawn(executor_, read(alive_, std::move(plan)), asio::detached);
    }

    void arm_tick(std::chrono::milliseconds delay) override
    {
        tick_.expires_after(delay);
        tick_.async_wait([this](boost::system::error_code ec) {
            if (!ec) {
                core.tick_elapsed();
                follow_expiry();
            }
        });
    }

    void answer(std::shared_ptr<deferred_reply> reply, std::string_view rows_json) override
    {
        reply->resolve_serialized(rows_json);
    }

private:
    asio::awaitable<void> read(std::shared_ptr<bool> alive, read_plan plan)
    {
        // Posted first: the core hears back only after the action that started the read returned.
        co_await asio::post(executor_, asio::use_awaitable);
        if (!*alive)
            co_return;
        std::optional<read_result> result;
        try {
            result = co_await read_bus(db_, std::move(plan), settings_.odoo_version, settings_.timeout);
        }
        catch (std::exception const& e) {
            if (*alive)
                log::warning("bus", db_.name(), ": reading bus_bus failed: ", e.what());
        }
        if (!*alive)
            co_return; // the bus is gone (the server is tearing down)
        auto const started = clock::now();
        auto const answered_before = core.stats().answered;
        if (result) {
            hub.deliver(result->fresh, started);
            core.read_done(std::move(*result));
        }
        else
            core.read_failed();
        if (auto const answered = core.stats().answered - answered_before; answered > 0) {
            std::chrono::duration<double> const took = clock::now() - started;
            fan_out_time.observe(took.count());
            log::debug("bus", db_.name(), ": answered ", answered, " polls in ", took.count() * 1000, " ms");
        }
        follow_expiry();
    }

    asio::any_io_executor executor_;
    orm::database& db_;
    bus_settings const& settings_;
    asio::steady_timer tick_;
    asio::steady_timer expiry_;
    clock::time_point armed_for_ = clock::time_point::max();
    std::shared_ptr<bool> alive_; ///< reads in flight check it before touching the core
};

message_bus::message_bus(asio::any_io_executor executor, orm::database_set& databases, bus_settings settings)
    : executor_(executor), settings_(settings)
{
    for (auto const& [name, db] : databases.all())
        shell_of(*db);
}

message_bus::~message_bus() = default;

message_bus::shell& message_bus::shell_of(orm::database& db)
{
    auto& slot = shells_[db.name()];
    if (!slot)
        slot = std::make_unique<shell>(executor_, db, settings_);
    return *slot;
}

template <class Action>
void message_bus::for_each_shell(orm::database* db, Action action)
{
    if (db)
        action(shell_of(*db));
    else
        for (auto& [name, s] : shells_)
            action(*s);
}

void message_bus::subscribe(orm::database& db, std::vector<std::string> channel_keys, std::int64_t last,
                            clock::time_point deadline, std::shared_ptr<deferred_reply> reply)
{
    auto& s = shell_of(db);
    auto* slot = reply.get();
    auto* waiting = s.core.arrive(std::move(channel_keys), last, std::min(deadline, clock::now() + settings_.timeout),
                                  std::move(reply));
    if (waiting) // if its client leaves first (the transport notices), the poll is forgotten
        slot->on_abandon([&s, waiting] { s.core.depart(*waiting); });
    s.follow_expiry();
}

void message_bus::notified(orm::database* db, std::string const& payload)
{
    boost::system::error_code ec;
    auto channels = json::parse(payload, ec);
    bool const readable = !ec && channels.is_array();
    if (!readable)
        log::warning("bus", "NOTIFY imbus with a payload that is not a JSON array; every waiter re-reads");
    for_each_shell(db, [&](shell& s) {
        if (readable)
            s.core.notified();
        else
            s.core.wake_everyone();
    });
}

void message_bus::wake_everyone(orm::database* db)
{
    for_each_shell(db, [](shell& s) { s.core.wake_everyone(); });
}

void message_bus::stop()
{
    for (auto& [name, s] : shells_)
        s->stop();
}

bus_stats message_bus::stats(orm::database& db) { return shell_of(db).core.stats(); }

socket_hub& message_bus::sockets(orm::database& db) { return shell_of(db).hub; }

replay_reads& message_bus::replays(orm::database& db) { return shell_of(db).replays; }

session_checks& message_bus::sessions(orm::database& db) { return shell_of(db).session_checks; }

} // namespace lp::bus
