#include "routes/path_pattern.hpp"

#include "routes/url.hpp"

#include <charconv>
#include <stdexcept>

namespace lp {

path_pattern::path_pattern(std::string_view path)
    : text_(path)
{
    if (auto error = route_path_error(path); !error.empty())
        throw std::invalid_argument(std::string(error) + ": '" + std::string(path) + "'");
    for (std::size_t at = 1; at <= path.size();) {
        auto end = path.find('/', at);
        if (end == std::string_view::npos)
            end = path.size();
        auto const text = path.substr(at, end - at);
        if (!text.empty() && text.front() == '<') {
            auto inner = text.substr(1, text.size() - 2);
            kind type = kind::string_variable;
            if (auto colon = inner.find(':'); colon != std::string_view::npos) {
                auto const converter = inner.substr(0, colon);
                type = converter == "int" ? kind::int_variable
                     : converter == "path" ? kind::path_variable
                                           : kind::string_variable;
                inner = inner.substr(colon + 1);
            }
            segments_.push_back({type, std::string(inner)});
            ++variables_;
        }
        else {
            segments_.push_back({kind::literal, std::string(text)});
        }
        at = end + 1;
    }
}

namespace {
/// A path's percent-decoded text, or nothing when malformed or holding a NUL: no file, route
/// or name has one, and C APIs would end the name there ("demo.html%00.js").
std::optional<std::string> decode_path_text(std::string_view raw)
{
    auto decoded = url_decode(raw, false);
    if (!decoded || decoded->find('\0') != std::string::npos)
        return std::nullopt;
    return decoded;
}
} // namespace

std::optional<boost::json::object> path_pattern::match(std::string_view path) const
{
    if (path.empty() || path.front() != '/')
        return std::nullopt;
    boost::json::object variables;
    std::size_t at = 1;
    for (std::size_t i = 0; i < segments_.size(); ++i) {
        auto const& want = segments_[i];
        if (at > path.size())
            return std::nullopt;
        if (want.type == kind::path_variable) {
            auto const rest = path.substr(at);
            if (rest.empty())
                return std::nullopt;
            auto decoded = decode_path_text(rest);
            if (!decoded)
                return std::nullopt;
            variables[want.text] = *decoded;
            return variables;
        }
        auto end = path.find('/', at);
        if (end == std::string_view::npos)
            end = path.size();
        bool const last = i + 1 == segments_.size();
        if (last != (end == path.size()))
            return std::nullopt;
        auto const raw = path.substr(at, end - at);
        at = end + 1;
        auto decoded = decode_path_text(raw);
        if (!decoded)
            return std::nullopt;
        switch (want.type) {
        case kind::literal:
            if (*decoded != want.text)
                return std::nullopt;
            break;
        case kind::string_variable:
            if (decoded->empty())
                return std::nullopt;
            variables[want.text] = *decoded;
            break;
        case kind::int_variable: {
            // werkzeug's int converter: digits only, no sign.
            std::int64_t value = 0;
            auto const* first = decoded->data();
            auto const* last_char = first + decoded->size();
            if (decoded->empty() || *first == '-' || *first == '+')
                return std::nullopt;
            auto [stop, error] = std::from_chars(first, last_char, value);
            if (error != std::errc{} || stop != last_char)
                return std::nullopt;
            variables[want.text] = value;
            break;
        }
        case kind::path_variable:
            break; // handled above
        }
    }
    if (at <= path.size())
        return std::nullopt; // the request path is longer than the pattern
    return variables;
}

} // namespace lp
