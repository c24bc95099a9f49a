// The figures a run prints: one JSON line (for scripts/bench) and one line for people.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bench {

/// Nearest-rank percentile (p in 0..100) of sorted values; 0 when empty.
double percentile(std::vector<double> const& sorted, double p);

/// {"min":..,"p50":..,"p90":..,"p99":..,"max":..} of milliseconds; sorts `values`.
boost::json::object latency_summary(std::vector<double>& values_ms);

/// Error counts as a JSON object.
boost::json::object error_object(std::map<std::string, std::size_t> const& errors);

/// Prints the JSON line, then `human` prefixed with "# ", and flushes.
void print_report(boost::json::object const& figures, std::string const& human);

/// A JSON number rounded to `decimals`: an integer when it is one (no "2E0" in the output).
boost::json::value number(double v, int decimals = 0);

/// Fixed-precision text of a number.
std::string fixed(double v, int decimals = 1);

} // namespace bench
