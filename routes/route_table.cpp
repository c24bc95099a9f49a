#include "routes/route_table.hpp"

#include "routes/url.hpp"

#include <stdexcept>

namespace lp {
namespace {
std::vector<route_definition>& definitions()
{
    // A function-local static: registrars in other files run before main, in any order.
    static std::vector<route_definition> all;
    return all;
}

std::string normalised_prefix(std::string_view prefix)
{
    if (prefix.empty() || prefix.front() != '/')
        throw std::invalid_argument("longpolling_path must start with '/': '" + std::string(prefix) + "'");
    if (!route_path_error(prefix).empty() || prefix.find('<') != std::string_view::npos)
        throw std::invalid_argument("longpolling_path must be a plain path such as /openerplongpolling: '"
                                    + std::string(prefix) + "'");
    while (!prefix.empty() && prefix.back() == '/')
        prefix.remove_suffix(1);
    return std::string(prefix);
}
} // namespace

void define_route(route_definition definition) { definitions().push_back(definition); }

std::vector<route_definition> const& defined_routes() { return definitions(); }

route_table::route_table(std::span<route_definition const> definitions, std::string_view prefix)
{
    auto const base = normalised_prefix(prefix);
    for (auto const& definition : definitions) {
        auto const name = std::string(definition.handler_name);
        auto const path = definition.path;
        if (auto error = route_path_error(path); !error.empty())
            throw std::invalid_argument("route '" + name + "': " + std::string(error) + ": '" + std::string(path) + "'");
        if (definition.prefixed && !base.empty() && (path == base || path.starts_with(base + "/")))
            throw std::invalid_argument("route '" + name + "': path '" + std::string(path)
                                        + "' must not contain longpolling_path '" + base
                                        + "': the registry adds it");
        auto full = definition.prefixed ? base + std::string(path) : std::string(path);
        for (auto const& existing : routes_)
            if (existing.pattern.text() == full)
                throw std::invalid_argument("route '" + name + "': path '" + full
                                            + "' is already served by '" + existing.handler_name + "'");
        try {
            routes_.push_back(route{name, path_pattern(full), definition.route_mode, definition.must_be_authenticated,
                                    definition.handler, definition.cors, definition.timeout_result});
        }
        catch (std::invalid_argument const& error) {
            throw std::invalid_argument("route '" + name + "': " + error.what());
        }
        if (routes_.back().pattern.is_static())
            static_paths_.emplace(full, routes_.size() - 1);
    }
}

std::optional<route_table::match_result> route_table::match(std::string_view path) const
{
    if (auto exact = static_paths_.find(std::string(path)); exact != static_paths_.end())
        return match_result{&routes_[exact->second], {}};
    if (auto decoded = url_decode(path, false); decoded && *decoded != path)
        if (auto exact = static_paths_.find(*decoded); exact != static_paths_.end())
            return match_result{&routes_[exact->second], {}};
    // Patterns in registration order (static paths were looked up above).
    for (auto const& candidate : routes_) {
        if (candidate.pattern.is_static())
            continue;
        if (auto variables = candidate.pattern.match(path))
            return match_result{&candidate, std::move(*variables)};
    }
    return std::nullopt;
}

} // namespace lp
