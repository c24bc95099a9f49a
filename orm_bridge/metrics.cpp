#include "orm_bridge/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <limits>
#include <memory>
#include <stdexcept>
#include <variant>

namespace lp::metrics {
namespace {

using series_value = std::variant<std::unique_ptr<counter>, std::unique_ptr<histogram>, std::function<double()>>;

struct family {
    std::string help;
    std::string type; ///< "counter", "gauge" or "histogram"
    std::map<std::string, series_value> series; ///< by label text: `a="1",b="2"`
};

std::map<std::string, family, std::less<>>& families()
{
    static std::map<std::string, family, std::less<>> all;
    return all;
}

std::string label_text(labels const& series)
{
    std::string out;
    for (auto const& [name, value] : series) {
        if (!out.empty())
            out += ',';
        out.append(name).append("=\"");
        for (char c : value) {
            if (c == '\\' || c == '"')
                out.append(1, '\\').append(1, c);
            else if (c == '\n')
                out.append("\\n");
            else
                out += c;
        }
        out += '"';
    }
    return out;
}

family& family_of(std::string_view name, std::string_view help, std::string_view type)
{
    auto it = families().find(name);
    if (it == families().end())
        it = families().emplace(std::string(name), family{std::string(help), std::string(type), {}}).first;
    else if (it->second.type != type)
        throw std::logic_error("metric " + std::string(name) + " is a " + it->second.type + ", not a " + std::string(type));
    return it->second;
}

void append_number(std::string& out, double value)
{
    if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
        return;
    }
    if (std::isnan(value)) {
        out += "NaN";
        return;
    }
    char digits[32];
    auto const end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out.append(digits, end);
}

void append_sample(std::string& out, std::string_view name, std::string_view labels_text, double value)
{
    out.append(name);
    if (!labels_text.empty())
        out.append("{").append(labels_text).append("}");
    out += ' ';
    append_number(out, value);
    out += '\n';
}

void append_histogram(std::string& out, std::string const& name, std::string const& labels_text, histogram const& h)
{
    auto const prefix = labels_text.empty() ? std::string() : labels_text + ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= h.upper_bounds().size(); ++i) {
        cumulative += h.bucket_counts()[i];
        std::string le;
        append_number(le, i < h.upper_bounds().size() ? h.upper_bounds()[i] : std::numeric_limits<double>::infinity());
        append_sample(out, name + "_bucket", prefix + "le=\"" + le + "\"", static_cast<double>(cumulative));
    }
    append_sample(out, name + "_sum", labels_text, h.sum());
    append_sample(out, name + "_count", labels_text, static_cast<double>(h.count()));
}

} // namespace

histogram::histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(bounds_.size() + 1, 0)
{
}

void histogram::observe(double value)
{
    auto const bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    ++counts_[static_cast<std::size_t>(bucket)];
    sum_ += value;
    ++count_;
}

std::vector<double> duration_buckets()
{
    return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

counter& declare_counter(std::string_view name, std::string_view help, labels const& series)
{
    auto& slot = family_of(name, help, "counter").series[label_text(series)];
    if (!std::holds_alternative<std::unique_ptr<counter>>(slot) || !std::get<0>(slot))
        slot = std::make_unique<counter>();
    return *std::get<0>(slot);
}

histogram& declare_histogram(std::string_view name, std::string_view help, labels const& series,
                           std::vector<double> upper_bounds)
{
    auto& slot = family_of(name, help, "histogram").series[label_text(series)];
    if (!std::holds_alternative<std::unique_ptr<histogram>>(slot) || !std::get<1>(slot))
        slot = std::make_unique<histogram>(std::move(upper_bounds));
    return *std::get<1>(slot);
}

reading::reading(std::string name, std::string label_text)
    : name_(std::move(name)), label_text_(std::move(label_text))
{
}

reading::reading(reading&& other) noexcept
    : name_(std::move(other.name_)), label_text_(std::move(other.label_text_))
{
    other.name_.clear();
}

reading& reading::operator=(reading&& other) noexcept
{
    if (this != &other) {
        this->~reading();
        name_ = std::move(other.name_);
        label_text_ = std::move(other.label_text_);
        other.name_.clear();
    }
    return *this;
}

reading::~reading()
{
    if (name_.empty())
        return;
    if (auto it = families().find(name_); it != families().end()) {
        it->second.series.erase(label_text_);
        if (it->second.series.empty())
            families().erase(it);
    }
}

reading read_when_scraped(kind type, std::string_view name, std::string_view help, labels const& series,
                          std::function<double()> read)
{
    auto text = label_text(series);
    family_of(name, help, type == kind::gauge ? "gauge" : "counter").series[text] = std::move(read);
    return reading(std::string(name), std::move(text));
}

std::string exposition()
{
    std::string out;
    for (auto const& [name, f] : families()) {
        out.append("# HELP ").append(name).append(" ").append(f.help).append("\n");
        out.append("# TYPE ").append(name).append(" ").append(f.type).append("\n");
        for (auto const& [labels_text, value] : f.series) {
            if (auto const* c = std::get_if<0>(&value))
                append_sample(out, name, labels_text, static_cast<double>((*c)->value()));
            else if (auto const* h = std::get_if<1>(&value))
                append_histogram(out, name, labels_text, **h);
            else
                append_sample(out, name, labels_text, std::get<2>(value)());
        }
    }
    return out;
}

} // namespace lp::metrics
