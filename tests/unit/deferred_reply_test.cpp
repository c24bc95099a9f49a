// A deferred reply owns its parked connection's fate: answered once, whatever happens to it.
#include "routes/deferred_reply.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <vector>

namespace {
struct recorder {
    std::vector<lp::outgoing_response> answers;
    std::function<void(lp::ready_reply const&)> callback()
    {
        return [this](lp::ready_reply const& out) { answers.push_back(out.to_response()); };
    }
};
} // namespace

BOOST_AUTO_TEST_SUITE(deferred_reply)

BOOST_AUTO_TEST_CASE(a_result_is_delivered_once_before_or_after_the_transport_waits)
{
    recorder early, late;
    {
        auto slot = std::make_shared<lp::deferred_reply>();
        slot->on_ready(early.callback());
        slot->resolve_serialized("[1]");
        slot->resolve_serialized("[2]"); // the first call wins
    }
    {
        auto slot = std::make_shared<lp::deferred_reply>();
        slot->resolve(boost::json::array{3});
        slot->on_ready(late.callback());
    }
    BOOST_REQUIRE_EQUAL(early.answers.size(), 1u);
    BOOST_TEST(early.answers[0].status == 200u);
    BOOST_TEST(early.answers[0].body == "[1]");
    BOOST_REQUIRE_EQUAL(late.answers.size(), 1u);
    BOOST_TEST(late.answers[0].body == "[3]");
}

BOOST_AUTO_TEST_CASE(a_json_rpc_result_is_wrapped_in_its_envelope_with_cors)
{
    // The envelope's opening is made when the request parks; the rows' text is only referred to.
    recorder parked;
    auto slot = std::make_shared<lp::deferred_reply>();
    lp::reply_shape shape;
    shape.form = lp::reply_form::json_rpc;
    shape.rpc_id = "call-7";
    shape.cors = true;
    slot->shape(shape);
    slot->on_ready(parked.callback());
    slot->resolve_serialized(R"([{"id":5}])");
    BOOST_REQUIRE_EQUAL(parked.answers.size(), 1u);
    auto const& out = parked.answers[0];
    BOOST_TEST(out.status == 200u);
    BOOST_TEST(out.content_type == "application/json");
    BOOST_TEST(out.body == R"({"jsonrpc":"2.0","id":"call-7","result":[{"id":5}]})");
    BOOST_REQUIRE_EQUAL(out.headers.size(), 1u);
    BOOST_TEST(out.headers[0].first == "Access-Control-Allow-Origin");
}

BOOST_AUTO_TEST_CASE(a_slot_dropped_unanswered_answers_500_instead_of_leaking_its_connection)
{
    recorder parked;
    {
        auto slot = std::make_shared<lp::deferred_reply>();
        lp::reply_shape shape;
        shape.form = lp::reply_form::json_rpc;
        shape.rpc_id = 4;
        shape.rpc_call_read = true;
        slot->shape(shape);
        slot->on_ready(parked.callback());
        // ...and whoever held it (a handler, the bus) lets it go without resolving it.
    }
    BOOST_REQUIRE_EQUAL(parked.answers.size(), 1u);
    auto const body = boost::json::parse(parked.answers[0].body);
    BOOST_TEST(body.at("id").as_int64() == 4);
    BOOST_TEST(body.at("error").at("data").at("http_status").as_int64() == 500);

    recorder never_parked;
    { auto slot = std::make_shared<lp::deferred_reply>(); } // no transport waiting: nothing to answer
    BOOST_TEST(never_parked.answers.empty());
}

BOOST_AUTO_TEST_SUITE_END()
