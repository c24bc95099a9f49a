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
