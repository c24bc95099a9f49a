#include "orm_bridge/errors.hpp"
#include "orm_bridge/pg_error.hpp"
#include "routes/error_reply.hpp"
#include "routes/errors.hpp"

#include <boost/test/unit_test.hpp>

namespace {
template <class E>
lp::error_reply reply_for(E error)
{
    return lp::describe_error(std::make_exception_ptr(std::move(error)));
}
} // namespace

BOOST_AUTO_TEST_SUITE(error_reply)

BOOST_AUTO_TEST_CASE(http_errors_keep_their_status)
{
    BOOST_TEST(reply_for(lp::bad_request("x")).status == 400u);
    BOOST_TEST(reply_for(lp::authentication_error()).status == 401u);
    BOOST_TEST(reply_for(lp::not_found("x")).status == 404u);
    BOOST_TEST(reply_for(lp::request_timeout("x")).status == 408u);
    auto busy = reply_for(lp::service_unavailable("pool full", std::chrono::seconds(3)));
    BOOST_TEST(busy.status == 503u);
    BOOST_REQUIRE(busy.retry_after.has_value());
    BOOST_TEST(busy.retry_after->count() == 3);
    BOOST_TEST(!busy.unexpected);
    auto bad = reply_for(lp::bad_request("domain: unknown operator 'like!'"));
    BOOST_TEST(bad.message == "domain: unknown operator 'like!'");
    BOOST_TEST(bad.name == "werkzeug.exceptions.BadRequest");
}

BOOST_AUTO_TEST_CASE(database_layer_errors_are_mapped_at_the_edge)
{
    auto bad = reply_for(lp::orm::bad_argument("unknown model 'x'"));
    BOOST_TEST(bad.status == 400u);
    BOOST_TEST(bad.name == "werkzeug.exceptions.BadRequest");
    BOOST_TEST(!bad.unexpected);
    auto busy = reply_for(lp::orm::unavailable("no cursor became free in time"));
    BOOST_TEST(busy.status == 503u);
    BOOST_TEST(busy.retry_after.has_value());
    BOOST_TEST(!busy.unexpected);
}

BOOST_AUTO_TEST_CASE(sql_errors_are_ours_and_logged_a_bad_value_is_the_clients)
{
    using lp::orm::pg::errc;
    // A missing table or a syntax error: the server's (or a handler's) SQL is wrong.
    for (auto const* state : {"42P01", "42601", "42703"}) {
        auto r = reply_for(lp::orm::pg::error(errc::query_failed, "relation \"bus_bus\" does not exist", state));
        BOOST_TEST(r.status == 500u, state);
        BOOST_TEST(r.unexpected, state);
    }
    // A value the client sent that PostgreSQL cannot take (invalid input syntax for integer).
    auto value = reply_for(lp::orm::pg::error(errc::query_failed, "invalid input syntax", "22P02"));
    BOOST_TEST(value.status == 400u);
    BOOST_TEST(!value.unexpected);
    BOOST_TEST(reply_for(lp::orm::pg::error(errc::query_failed, "read-only", "25006")).status == 403u);
    BOOST_TEST(reply_for(lp::orm::pg::error(errc::connection_lost, "gone")).status == 503u);
}

BOOST_AUTO_TEST_CASE(anything_else_is_an_unexpected_500)
{
    auto other = reply_for(std::runtime_error("boom"));
    BOOST_TEST(other.status == 500u);
    BOOST_TEST(other.message == "boom");
    BOOST_TEST(other.unexpected);
    auto odd = lp::describe_error(std::make_exception_ptr(42));
    BOOST_TEST(odd.status == 500u);
    BOOST_TEST(odd.unexpected);
}

BOOST_AUTO_TEST_SUITE_END()
