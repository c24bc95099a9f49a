// The PostgreSQL adapters' message board without a database: notifications are handed to
// waiting listeners with one get call per distinct (get, arguments), not one per listener;
// what no one consumed stays for the next listen (at-least-once); consumed messages are gone.
#include "routes/socketio/adapters.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <vector>

namespace json = boost::json;
using lp::socketio::adapter;
using lp::socketio::message_board;
using namespace std::chrono_literals;

namespace {
int get_calls = 0;

/// Takes the messages whose values.to equals the first argument (every message without one).
json::array addressed(json::array const& messages, json::array const& args)
{
    ++get_calls;
    json::array taken;
    for (auto const& m : messages)
        if (args.empty() || m.at("values").at("to") == args.front())
            taken.push_back(m);
    return taken;
}
json::value unchanged(json::array const& messages) { return messages; }
constexpr adapter mail{"mail", &addressed, &unchanged};

/// An author's get with a bug: it throws on a message to "boom".
json::array fragile(json::array const& messages, json::array const& args)
{
    for (auto const& m : messages)
        if (m.at("values").at("to") == "boom")
            throw std::runtime_error("fragile get");
    return addressed(messages, args);
}
constexpr adapter fragile_mail{"mail", &fragile, &unchanged};

struct fixture {
    boost::asio::io_context io;
    message_board board{io.get_executor(), "socketio"};

    /// Starts a listen; its result lands in the returned slot once it has one.
    std::shared_ptr<std::optional<json::array>> listen(json::array args, std::chrono::steady_clock::duration within = 60s,
                                                       adapter const& a = mail)
    {
        auto result = std::make_shared<std::optional<json::array>>();
        boost::asio::co_spawn(
            io,
            [this, args = std::move(args), within, result, &a]() -> boost::asio::awaitable<void> {
                auto const deadline = std::chrono::steady_clock::now() + within;
                std::function<bool()> always = [] { return true; };
                *result = co_await board.wait("db", a, args, deadline, std::move(always));
            },
            boost::asio::detached);
        settle();
        return result;
    }
    void settle()
    {
        io.restart();
        io.poll();
    }
    void notify(std::string const& to)
    {
        board.notified("db", R"({"channel":"mail","values":{"to":")" + to + R"("}})");
        settle();
    }
};
} // namespace

BOOST_FIXTURE_TEST_SUITE(socketio_adapters, fixture)

BOOST_AUTO_TEST_CASE(a_notification_runs_get_once_for_all_listeners_with_the_same_arguments)
{
    std::vector<std::shared_ptr<std::optional<json::array>>> listeners;
    for (int i = 0; i < 100; ++i)
        listeners.push_back(listen({"alice"}));
    for (auto const& l : listeners)
        BOOST_TEST(!l->has_value()); // nothing yet: all wait
    get_calls = 0;
    notify("alice");
    BOOST_TEST(get_calls == 1);
    BOOST_TEST(board.notification_gets() == 1u);
    for (auto const& l : listeners) {
        BOOST_REQUIRE(l->has_value());
        BOOST_TEST((*l)->size() == 1u);
        BOOST_TEST((**l)[0].at("values").at("to") == "alice");
    }
}

BOOST_AUTO_TEST_CASE(distinct_arguments_get_one_call_each_and_only_their_messages)
{
    std::vector<std::shared_ptr<std::optional<json::array>>> alices, bobs;
    for (int i = 0; i < 50; ++i) {
        alices.push_back(listen({"alice"}));
        bobs.push_back(listen({"bob"}));
    }
    get_calls = 0;
    notify("bob");
    BOOST_TEST(get_calls == 2); // one for the alices (nothing for them), one for the bobs
    for (auto const& b : bobs)
        BOOST_TEST(b->has_value());
    for (auto const& a : alices)
        BOOST_TEST(!a->has_value());
    get_calls = 0;
    notify("alice"); // the bobs are answered: only the alices' group is left
    BOOST_TEST(get_calls == 1);
    for (auto const& a : alices) {
        BOOST_REQUIRE(a->has_value());
        // Bob's message was not consumed, but it is not addressed to alice.
        BOOST_TEST((*a)->size() == 1u);
    }
}

BOOST_AUTO_TEST_CASE(unconsumed_messages_stay_and_consumed_ones_are_gone)
{
    notify("alice");
    auto first = listen({"alice"}); // at once: the message is there
    BOOST_REQUIRE(first->has_value());
    BOOST_TEST((*first)->size() == 1u);
    auto again = listen({"alice"}); // not acknowledged: still there (at-least-once)
    BOOST_REQUIRE(again->has_value());
    board.consume("db", "mail", **again);
    auto after = listen({"alice"}); // consumed: the next listen waits
    BOOST_TEST(!after->has_value());
    notify("alice");
    BOOST_REQUIRE(after->has_value());
    BOOST_TEST((*after)->size() == 1u);
    BOOST_TEST((**after)[0].at("id") != (**again)[0].at("id"));
}

BOOST_AUTO_TEST_CASE(a_listener_out_of_time_gets_nothing_and_costs_no_more_gets)
{
    auto late = listen({"alice"}, 0ms);
    BOOST_REQUIRE(late->has_value()); // deadline already passed: empty at once
    BOOST_TEST((*late)->empty());
    auto soon = listen({"carol"}, 20ms);
    BOOST_TEST(!soon->has_value());
    io.restart();
    io.run_for(200ms);
    BOOST_REQUIRE(soon->has_value());
    BOOST_TEST((*soon)->empty());
    get_calls = 0;
    notify("carol"); // no listener waits any more
    BOOST_TEST(get_calls == 0);
}

BOOST_AUTO_TEST_CASE(a_get_that_throws_takes_nothing_and_the_channel_keeps_serving)
{
    auto fragile_listener = listen({"alice"}, 60s, fragile_mail);
    auto before = listen({"alice"});
    auto after = listen({"bob"});
    BOOST_CHECK_NO_THROW(notify("boom")); // the fragile group's get throws: logged, nothing taken
    BOOST_TEST(!fragile_listener->has_value());
    notify("bob");
    BOOST_REQUIRE(after->has_value()); // the channel still serves the others
    BOOST_TEST((*after)->size() == 1u);
    notify("alice");
    BOOST_REQUIRE(before->has_value());
    BOOST_TEST(!fragile_listener->has_value()); // still throwing on the stored "boom": keeps waiting
}

BOOST_AUTO_TEST_SUITE_END()
