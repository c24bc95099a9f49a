#include "routes/url.hpp"

namespace lp {
namespace {
int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::string_view trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}
} // namespace

std::optional<std::string> url_decode(std::string_view text, bool plus_is_space)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char const c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size())
                return std::nullopt;
            int const high = hex_value(text[i + 1]);
            int const low = hex_value(text[i + 2]);
            if (high < 0 || low < 0)
                return std::nullopt;
            out.push_back(static_cast<char>(high * 16 + low));
            i += 2;
        }
        else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        }
        else {
            out.push_back(c);
        }
    }
    return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query)
{
    std::vector<std::pair<std::string, std::string>> pairs;
    while (!query.empty()) {
        auto const amp = query.find('&');
        auto const part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (part.empty())
            continue;
        auto const eq = part.find('=');
        auto key = url_decode(part.substr(0, eq), true);
        auto value = eq == std::string_view::npos ? std::optional<std::string>{""}
                                                  : url_decode(part.substr(eq + 1), true);
        if (!key || !value)
            return std::nullopt;
        pairs.emplace_back(std::move(*key), std::move(*value));
    }
    return pairs;
}

std::optional<std::string> find_cookie(std::string_view cookie_header, std::string_view name)
{
    while (!cookie_header.empty()) {
        auto const semi = cookie_header.find(';');
        auto const part = trim(cookie_header.substr(0, semi));
        cookie_header = semi == std::string_view::npos ? std::string_view{} : cookie_header.substr(semi + 1);
        auto const eq = part.find('=');
        if (eq == std::string_view::npos || trim(part.substr(0, eq)) != name)
            continue;
        auto value = trim(part.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        return std::string(value);
    }
    return std::nullopt;
}

} // namespace lp
