// The metrics registry's text exposition: counters, histograms (cumulative buckets, +Inf, sum,
// count), label escaping, readings that disappear with their handle, and type clashes.
#include "orm_bridge/metrics.hpp"

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>



namespace {
bool has_line(std::string const& text, std::string const& line)
{
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}
} // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(counters_by_labels_and_escaping)
{
    auto& plain = lp::metrics::declare_counter("lp_test_events_total", "Events seen");
    plain.add();
    plain.add(2);
    BOOST_TEST(&lp::metrics::declare_counter("lp_test_events_total", "Events seen") == &plain);
    lp::metrics::declare_counter("lp_test_labelled_total", "By label", {{"name", "a\"b\\c\nd"}}).add(5);
    auto const text = lp::metrics::exposition();
    BOOST_TEST(has_line(text, "# HELP lp_test_events_total Events seen"));
    BOOST_TEST(has_line(text, "# TYPE lp_test_events_total counter"));
    BOOST_TEST(has_line(text, "lp_test_events_total 3"));
    BOOST_TEST(has_line(text, R"(lp_test_labelled_total{name="a\"b\\c\nd"} 5)"));
}

BOOST_AUTO_TEST_CASE(histograms_are_cumulative)
{
    auto& h = lp::metrics::declare_histogram("lp_test_wait_seconds", "Waits", {}, {0.1, 1});
    h.observe(0.05);
    h.observe(0.1); // on a bound: counted in it (le means <=)
    h.observe(0.5);
    h.observe(7);
    auto const text = lp::metrics::exposition();
    BOOST_TEST(has_line(text, "# TYPE lp_test_wait_seconds histogram"));
    BOOST_TEST(has_line(text, R"(lp_test_wait_seconds_bucket{le="0.1"} 2)"));
    BOOST_TEST(has_line(text, R"(lp_test_wait_seconds_bucket{le="1"} 3)"));
    BOOST_TEST(has_line(text, R"(lp_test_wait_seconds_bucket{le="+Inf"} 4)"));
    BOOST_TEST(has_line(text, "lp_test_wait_seconds_sum 7.65"));
    BOOST_TEST(has_line(text, "lp_test_wait_seconds_count 4"));
}

BOOST_AUTO_TEST_CASE(readings_last_as_long_as_their_handle)
{
    double level = 4;
    {
        auto reading = lp::metrics::read_when_scraped(lp::metrics::kind::gauge, "lp_test_level", "Level", {{"db", "x"}},
                                                  [&level] { return level; });
        level = 6;
        BOOST_TEST(has_line(lp::metrics::exposition(), R"(lp_test_level{db="x"} 6)"));
    }
    BOOST_TEST(lp::metrics::exposition().find("lp_test_level") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_name_keeps_its_type)
{
    lp::metrics::declare_counter("lp_test_typed_total", "Typed");
    BOOST_CHECK_THROW(lp::metrics::declare_histogram("lp_test_typed_total", "Typed"), std::logic_error);
}

BOOST_AUTO_TEST_SUITE_END()
