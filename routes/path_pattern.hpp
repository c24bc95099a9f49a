// Route paths in werkzeug's syntax: "/varroute/<var1>/<var2>", "/order/<int:id>", "/file/<path:rest>".
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lp {

/// Why `path` is not a valid route path, or an empty view when it is valid.
///
/// Rules: starts with '/'; variables are `<name>` or `<converter:name>` with converter
/// `string`, `int` or `path`, a C identifier as name, each name once, each variable a whole
/// segment; `path` only as the last segment; no "//", no '?' or '#'.
constexpr std::string_view route_path_error(std::string_view path)
{
    if (path.empty() || path.front() != '/')
        return "a route path must start with '/'";
    std::size_t names_seen = 0;
    std::string_view names[16]{};
    for (std::size_t at = 1; at <= path.size();) {
        auto end = path.find('/', at);
        if (end == std::string_view::npos)
            end = path.size();
        auto const segment = path.substr(at, end - at);
        bool const last = end == path.size();
        if (segment.empty() && !last)
            return "a route path must not contain an empty segment (\"//\")";
        for (char c : segment)
            if (c == '?' || c == '#' || c == ' ')
                return "a route path must not contain '?', '#' or spaces";
        if (!segment.empty() && segment.front() == '<') {
            if (segment.back() != '>')
                return "a variable must be a whole segment: <name> or <converter:name>";
            auto inner = segment.substr(1, segment.size() - 2);
            std::string_view converter = "string";
            if (auto colon = inner.find(':'); colon != std::string_view::npos) {
                converter = inner.substr(0, colon);
                inner = inner.substr(colon + 1);
            }
            if (converter != "string" && converter != "int" && converter != "path")
                return "unknown converter (expected string, int or path)";
            if (converter == "path" && !last)
                return "a <path:...> variable must be the last segment";
            if (inner.empty())
                return "a variable needs a name";
            for (std::size_t i = 0; i < inner.size(); ++i) {
                char const c = inner[i];
                bool const letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
                bool const digit = c >= '0' && c <= '9';
                if (!letter && !(digit && i > 0))
                    return "a variable name must be an identifier";
            }
            for (std::size_t i = 0; i < names_seen; ++i)
                if (names[i] == inner)
                    return "a variable name is used twice";
            if (names_seen == std::size(names))
                return "too many variables in one path";
            names[names_seen++] = inner;
        }
        else {
            for (char c : segment)
                if (c == '<' || c == '>')
                    return "a variable must be a whole segment: <name> or <converter:name>";
        }
        at = end + 1;
    }
    return {};
}

/// A route path checked when the program is compiled: `route_path{"/bad path"}` does not compile.
struct route_path {
    std::string_view text;

    consteval route_path(char const* path)
        : text(path)
    {
        if (!route_path_error(text).empty())
            throw "invalid route path: see lp::route_path_error for the rule it breaks";
    }
};

/// A parsed route path that matches request paths and extracts their variables.
class path_pattern {
public:
    /// Errors: std::invalid_argument with route_path_error's text.
    explicit path_pattern(std::string_view path);

    /// The variables of `path` (percent-decoded; `int` ones as JSON integers), or nullopt when
    /// it does not match.
    std::optional<boost::json::object> match(std::string_view path) const;

    /// True when the pattern has no variable: it can be looked up by exact text.
    bool is_static() const { return variables_ == 0; }
    std::string const& text() const { return text_; }

private:
    enum class kind { literal, string_variable, int_variable, path_variable };
    struct segment {
        kind type;
        std::string text; // the literal, or the variable's name
    };
    std::string text_;
    std::vector<segment> segments_;
    std::size_t variables_ = 0;
};

} // namespace lp
