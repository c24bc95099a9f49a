// The process's metrics, written in Prometheus's text format by GET /metrics. Declaring one is
// a line where the event happens:
//     static auto& rows_read = lp::metrics::declare_counter("lp_bus_rows_read_total", "bus_bus rows read");
//     rows_read.add(rows.size());
// Figures that an object already keeps (pool sizes, parked polls) are read when scraped
// instead, through a reading() whose handle unregisters it.
// One thread, like the server: nothing here is synchronised.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lp::metrics {

/// Label names and values of one series: {{"database", "odoo"}}.
using labels = std::vector<std::pair<std::string, std::string>>;

class counter {
public:
    void add(std::uint64_t n = 1) { value_ += n; }
    std::uint64_t value() const { return value_; }

private:
    std::uint64_t value_ = 0;
};

class histogram {
public:
    /// `upper_bounds` ascending; +Inf is implied.
    explicit histogram(std::vector<double> upper_bounds);
    void observe(double value);

    std::vector<double> const& upper_bounds() const { return bounds_; }
    std::vector<std::uint64_t> const& bucket_counts() const { return counts_; } ///< not cumulative; last is +Inf
    double sum() const { return sum_; }
    std::uint64_t count() const { return count_; }

private:
    std::vector<double> bounds_;
    std::vector<std::uint64_t> counts_;
    double sum_ = 0;
    std::uint64_t count_ = 0;
};

/// Bounds for durations in seconds, 100 µs to 10 s.
std::vector<double> duration_buckets();

/// The counter `name` (ending in _total) with `series` labels, created at the first call; later
/// calls with the same name and labels return the same counter.
/// Errors: std::logic_error when `name` was declared with another type.
counter& declare_counter(std::string_view name, std::string_view help, labels const& series = {});

/// The histogram `name` (in seconds: ending in _seconds), as declare_counter(). Default bounds:
/// duration_buckets().
histogram& declare_histogram(std::string_view name, std::string_view help, labels const& series = {},
                     std::vector<double> upper_bounds = duration_buckets());

enum class kind { gauge, counter };

/// A figure read from `read` at each scrape, until the handle is destroyed.
class reading {
public:
    reading() = default;
    reading(std::string name, std::string label_text);
    reading(reading&& other) noexcept;
    reading& operator=(reading&& other) noexcept;
    ~reading();

private:
    std::string name_;
    std::string label_text_;
};

/// Errors: std::logic_error when `name` was declared with another type.
[[nodiscard]] reading read_when_scraped(kind type, std::string_view name, std::string_view help, labels const& series,
                                        std::function<double()> read);

/// Every metric in the text exposition format 0.0.4, families sorted by name.
std::string exposition();

} // namespace lp::metrics
