// The pieces of the per-client limits on their own: the rate limiter's buckets, the framing
// check, the bounded JSON parse, the per-address counts and X-Forwarded-For.
#include "routes/errors.hpp"
#include "routes/json_limits.hpp"
#include "routes/rate_limiter.hpp"
#include "server/connection_limits.hpp"
#include "server/request_framing.hpp"

#include <boost/beast/http/fields.hpp>
#include <boost/test/unit_test.hpp>

namespace http = boost::beast::http;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(rate_limiter_allows_a_minutes_worth_then_refills_evenly)
{
    lp::rate_limiter limiter(60); // one a second
    auto const t0 = lp::rate_limiter::clock::now();
    for (int i = 0; i < 60; ++i)
        BOOST_TEST(!limiter.take("a", t0).has_value());
    auto const wait = limiter.take("a", t0);
    BOOST_REQUIRE(wait.has_value());
    BOOST_TEST(wait->count() == 1);
    BOOST_TEST(!limiter.take("b", t0).has_value()); // keys are independent
    BOOST_TEST(!limiter.take("a", t0 + 1s).has_value());
    BOOST_TEST(limiter.take("a", t0 + 1s).has_value());
    BOOST_TEST(!lp::rate_limiter(0).take("a", t0).has_value()); // 0: no limit
}

BOOST_AUTO_TEST_CASE(rate_limiter_forgets_full_buckets)
{
    lp::rate_limiter limiter(10);
    auto const t0 = lp::rate_limiter::clock::now();
    for (int i = 0; i < 5000; ++i)
        limiter.take("client-" + std::to_string(i), t0 + std::chrono::seconds(i));
    BOOST_TEST(limiter.keys() < 2100u); // a bucket refills in 6 s: the old ones were dropped
}

namespace {
std::optional<lp::framing_refusal> framing(std::vector<std::pair<http::field, std::string>> const& fields, unsigned version = 11)
{
    http::fields header;
    for (auto const& [name, value] : fields)
        header.insert(name, value);
    return lp::check_framing(header, version);
}
} // namespace

BOOST_AUTO_TEST_CASE(framing_accepts_plain_lengths_and_chunked)
{
    BOOST_TEST(!framing({}).has_value());
    BOOST_TEST(!framing({{http::field::content_length, "0"}}).has_value());
    BOOST_TEST(!framing({{http::field::content_length, "1048576"}}).has_value());
    BOOST_TEST(!framing({{http::field::transfer_encoding, "chunked"}}).has_value());
    BOOST_TEST(!framing({{http::field::transfer_encoding, " CHUNKED "}}).has_value());
}

BOOST_AUTO_TEST_CASE(framing_refuses_what_could_be_read_two_ways)
{
    using F = http::field;
    for (auto const& fields : std::vector<std::vector<std::pair<F, std::string>>>{
             {{F::transfer_encoding, "chunked, identity"}},
             {{F::transfer_encoding, "xchunked"}},
             {{F::transfer_encoding, "gzip"}},
             {{F::transfer_encoding, ""}},
             {{F::transfer_encoding, "chunked,"}},
             {{F::transfer_encoding, "chunked, chunked"}},
             {{F::transfer_encoding, "chunked"}, {F::transfer_encoding, "chunked"}},
             {{F::transfer_encoding, "chunked"}, {F::content_length, "3"}},
             {{F::content_length, "3"}, {F::content_length, "3"}},
             {{F::content_length, "3, 3"}},
             {{F::content_length, "-1"}},
             {{F::content_length, ""}},
             {{F::content_length, "1234567890123456789"}},
         }) {
        auto const refusal = framing(fields);
        BOOST_REQUIRE(refusal.has_value());
        BOOST_TEST(refusal->status == 400u, refusal->reason);
    }
    auto const gzip = framing({{F::transfer_encoding, "gzip, chunked"}});
    BOOST_REQUIRE(gzip.has_value());
    BOOST_TEST(gzip->status == 501u);
    BOOST_TEST(framing({{F::transfer_encoding, "chunked"}}, 10).has_value());
}

BOOST_AUTO_TEST_CASE(json_parse_is_bounded_in_depth_and_memory)
{
    BOOST_TEST(lp::parse_request_json(R"({"a":[1,2,{"b":null}]})").at("a").as_array().size() == 3u);
    BOOST_CHECK_THROW(lp::parse_request_json(std::string(33, '[') + std::string(33, ']')), lp::bad_request);
    BOOST_CHECK_NO_THROW(lp::parse_request_json(std::string(32, '[') + std::string(32, ']')));
    BOOST_CHECK_THROW(lp::parse_request_json("{"), lp::bad_request);
    // 500,000 zeros: 1 MB of text, 8 MB of values.
    std::string zeros = "[0";
    for (int i = 1; i < 500'000; ++i)
        zeros += ",0";
    zeros += "]";
    BOOST_CHECK_THROW(lp::parse_request_json(zeros), lp::payload_too_large);
    // A large string costs about its size: accepted.
    auto const text = "\"" + std::string(1'000'000, 's') + "\"";
    BOOST_TEST(lp::parse_request_json(text).as_string().size() == 1'000'000u);
}

BOOST_AUTO_TEST_CASE(connections_are_counted_per_address)
{
    lp::address_counts counts(2);
    BOOST_TEST(counts.admit("10.0.0.1"));
    BOOST_TEST(counts.admit("10.0.0.1"));
    BOOST_TEST(!counts.admit("10.0.0.1"));
    BOOST_TEST(counts.admit("10.0.0.2"));
    counts.release("10.0.0.1");
    BOOST_TEST(counts.admit("10.0.0.1"));
    lp::address_counts unlimited(0);
    for (int i = 0; i < 100; ++i)
        BOOST_TEST(unlimited.admit("x"));
}

BOOST_AUTO_TEST_CASE(forwarded_address_only_in_proxy_mode)
{
    http::fields header;
    header.set("X-Forwarded-For", "198.51.100.7, 10.0.0.5 ");
    BOOST_TEST(lp::client_address(header, "127.0.0.1", false) == "127.0.0.1");
    BOOST_TEST(lp::client_address(header, "127.0.0.1", true) == "10.0.0.5");
    header.set("X-Forwarded-For", "not-an-address");
    BOOST_TEST(lp::client_address(header, "127.0.0.1", true) == "127.0.0.1");
    header.set("X-Forwarded-For", "2001:db8::1");
    BOOST_TEST(lp::client_address(header, "127.0.0.1", true) == "2001:db8::1");
    BOOST_TEST(lp::client_address(http::fields{}, "127.0.0.1", true) == "127.0.0.1");
}

BOOST_AUTO_TEST_SUITE_END()
