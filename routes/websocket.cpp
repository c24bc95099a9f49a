#include "routes/websocket.hpp"

#include "routes/path_pattern.hpp"

#include <stdexcept>

namespace lp {
namespace {
std::vector<websocket_definition>& definitions()
{
    // A function-local static: registrars in other files run before main, in any order.
    static std::vector<websocket_definition> all;
    return all;
}
} // namespace

void define_websocket(websocket_definition definition) { definitions().push_back(definition); }

std::vector<websocket_definition> const& defined_websockets() { return definitions(); }

websocket_table::websocket_table(std::span<websocket_definition const> definitions, std::string_view prefix)
{
    // The prefix itself is checked by the route table, which binds the same one.
    while (!prefix.empty() && prefix.back() == '/')
        prefix.remove_suffix(1);
    for (auto const& definition : definitions) {
        auto const name = std::string(definition.name);
        if (!route_path_error(definition.path).empty() || definition.path.find('<') != std::string_view::npos)
            throw std::invalid_argument("WebSocket endpoint '" + name + "': '" + std::string(definition.path)
                                        + "' is not a plain absolute path");
        auto full = (definition.prefixed ? std::string(prefix) : std::string()) + std::string(definition.path);
        if (auto const [existing, added] = endpoints_.emplace(full, definition); !added)
            throw std::invalid_argument("WebSocket endpoint '" + name + "': path '" + full
                                        + "' is already served by '" + std::string(existing->second.name) + "'");
    }
}

websocket_definition const* websocket_table::match(std::string_view path) const
{
    auto const found = endpoints_.find(std::string(path));
    return found == endpoints_.end() ? nullptr : &found->second;
}

std::vector<std::string> websocket_table::rules() const
{
    std::vector<std::string> rules;
    for (auto const& [path, definition] : endpoints_)
        rules.push_back(std::string(definition.name) + ":" + path);
    return rules;
}

std::vector<std::pair<std::string_view, websocket_definition const*>> websocket_table::endpoints() const
{
    std::vector<std::pair<std::string_view, websocket_definition const*>> all;
    for (auto const& [path, definition] : endpoints_)
        all.emplace_back(path, &definition);
    return all;
}

} // namespace lp
