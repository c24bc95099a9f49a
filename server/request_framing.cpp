#include "server/request_framing.hpp"

#include <boost/beast/core/string.hpp>

#include <cctype>
#include <string_view>
#include <vector>

namespace lp {
namespace {
namespace http = boost::beast::http;

std::string_view trim(std::string_view text)
{
    auto const first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool is_token(std::string_view text)
{
    constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
    if (text.empty())
        return false;
    for (unsigned char c : text)
        if (!(std::isalnum(c) || specials.find(static_cast<char>(c)) != std::string_view::npos))
            return false;
    return true;
}

/// The codings of every Transfer-Encoding field, in order (repeated fields make one list).
/// Empty when a list element is not a bare coding name (parameters are refused too).
std::optional<std::vector<std::string_view>> transfer_codings(http::fields const& header)
{
    std::vector<std::string_view> codings;
    auto const [first, last] = header.equal_range(http::field::transfer_encoding);
    for (auto field = first; field != last; ++field) {
        std::string_view rest = field->value();
        for (;;) {
            auto const comma = rest.find(',');
            auto const coding = trim(rest.substr(0, comma));
            if (!is_token(coding))
                return std::nullopt;
            codings.push_back(coding);
            if (comma == std::string_view::npos)
                break;
            rest.remove_prefix(comma + 1);
        }
    }
    return codings;
}

framing_refusal bad(std::string reason) { return {400, std::move(reason)}; }
} // namespace

std::optional<framing_refusal> check_framing(http::fields const& header, unsigned version)
{
    // One pass over the fields: each lookup by name would be a search of their tree.
    std::size_t lengths = 0, encodings = 0;
    std::string_view length;
    for (auto const& field : header) {
        if (field.name() == http::field::content_length) {
            if (lengths++ == 0)
                length = field.value();
        }
        else if (field.name() == http::field::transfer_encoding)
            ++encodings;
    }
    if (lengths > 1)
        return bad("more than one Content-Length");
    // 1*DIGIT and no more than fits: no sign, no list, no spaces inside.
    if (lengths == 1
        && (length.empty() || length.size() > 18 || length.find_first_not_of("0123456789") != std::string_view::npos))
        return bad("Content-Length is not a decimal number");
    if (encodings == 0)
        return std::nullopt;

    if (version < 11)
        return bad("Transfer-Encoding in an HTTP/1.0 request");
    if (lengths > 0)
        return bad("both Transfer-Encoding and Content-Length");
    auto const codings = transfer_codings(header);
    if (!codings || codings->empty())
        return bad("malformed Transfer-Encoding");
    if (!boost::beast::iequals(codings->back(), "chunked"))
        return bad("the final transfer coding is not chunked");
    for (std::size_t i = 0; i + 1 < codings->size(); ++i) {
        if (boost::beast::iequals((*codings)[i], "chunked"))
            return bad("chunked applied more than once");
        // gzip, deflate...: not decoded here (RFC 9112 6.1: 501 for a coding not understood).
        return framing_refusal{501, "transfer coding '" + std::string((*codings)[i]) + "' is not supported"};
    }
    return std::nullopt;
}

} // namespace lp
