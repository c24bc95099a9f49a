// The routes the server serves: the program's route definitions bound under longpolling_path.
#pragma once

#include "routes/path_pattern.hpp"
#include "routes/route.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace lp {

/// Every definition made with LONGPOLLING_ROUTE in the program, in registration order.
std::vector<route_definition> const& defined_routes();

/// Routes bound under a prefix, ready to match request paths.
class route_table {
public:
    struct route {
        std::string handler_name;
        path_pattern pattern; // with the prefix
        mode route_mode;
        bool must_be_authenticated;
        std::variant<json_handler, http_handler> handler;
        bool cors = false;
        std::optional<boost::json::value> timeout_result;

        /// "NAME:/prefix/path", as the seed logs it.
        std::string rule() const { return handler_name + ":" + pattern.text(); }
    };

    struct match_result {
        route const* found;
        boost::json::object variables;
    };

    /// Binds `definitions` under `prefix` (the longpolling_path, e.g. "/openerplongpolling").
    /// Errors: std::invalid_argument naming the handler when a path already contains the
    /// prefix or is defined twice, or naming the prefix when it is not a plain absolute path.
    route_table(std::span<route_definition const> definitions, std::string_view prefix);

    /// The route serving `path` (already stripped of its query), and its variables.
    /// Exact paths win over patterns; patterns are tried in registration order.
    std::optional<match_result> match(std::string_view path) const;

    std::vector<route> const& routes() const { return routes_; }

private:
    std::vector<route> routes_;
    std::unordered_map<std::string, std::size_t> static_paths_;
};

} // namespace lp
