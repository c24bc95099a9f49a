#include "server/websocket_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace lp::ws {
namespace {
bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

/// Whether a comma-separated header value holds `token` (case-insensitive): Firefox sends
/// `Connection: keep-alive, Upgrade`.
bool has_token(std::string_view list, std::string_view token)
{
    while (!list.empty()) {
        auto const comma = list.find(',');
        auto item = list.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
            item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
            item.remove_suffix(1);
        if (iequals(item, token))
            return true;
        if (comma == std::string_view::npos)
            break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

/// A key is the base64 form of 16 bytes: 22 characters and "==".
bool is_valid_key(std::string_view key)
{
    if (key.size() != 24 || !key.ends_with("=="))
        return false;
    std::array<unsigned char, 24> decoded{};
    return EVP_DecodeBlock(decoded.data(), reinterpret_cast<unsigned char const*>(key.data()), 24) == 18;
}
} // namespace

handshake_request handshake_request_of(boost::beast::http::request_header<> const& header)
{
    namespace http = boost::beast::http;
    auto value = [&](http::field name) -> std::optional<std::string> {
        auto const found = header.find(name);
        if (found == header.end())
            return std::nullopt;
        return std::string(found->value());
    };
    handshake_request request;
    request.method = std::string(header.method_string());
    request.http_version = header.version();
    request.host = value(http::field::host);
    request.upgrade = value(http::field::upgrade);
    request.connection = value(http::field::connection);
    request.key = value(http::field::sec_websocket_key);
    request.version = value(http::field::sec_websocket_version);
    return request;
}

handshake_verdict check_handshake(handshake_request const& request)
{
    handshake_verdict verdict;
    auto refuse = [&](unsigned status, std::string reason) {
        verdict.status = status;
        verdict.reason = std::move(reason);
        return verdict;
    };
    char const* missing = !request.connection ? "Connection"
                          : !request.host     ? "Host"
                          : !request.key      ? "Sec-WebSocket-Key"
                          : !request.version  ? "Sec-WebSocket-Version"
                          : !request.upgrade  ? "Upgrade"
                                              : nullptr;
    if (missing)
        return refuse(400, std::string("a WebSocket handshake needs the ") + missing + " header");
    if (*request.version != "13")
        return refuse(426, "unsupported Sec-WebSocket-Version '" + *request.version + "': only 13 is spoken");
    if (request.method != "GET")
        return refuse(400, "a WebSocket handshake is a GET, not a " + request.method);
    if (request.http_version < 11)
        return refuse(400, "a WebSocket handshake needs HTTP/1.1");
    if (!has_token(*request.upgrade, "websocket"))
        return refuse(400, "the Upgrade header must name websocket");
    if (!has_token(*request.connection, "upgrade"))
        return refuse(400, "the Connection header must contain Upgrade");
    if (!is_valid_key(*request.key))
        return refuse(400, "Sec-WebSocket-Key must be 16 bytes in base64");
    verdict.accept = accept_value(*request.key);
    return verdict;
}

std::string accept_value(std::string_view key)
{
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string input(key);
    input.append(guid);
    std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
    SHA1(reinterpret_cast<unsigned char const*>(input.data()), input.size(), digest.data());
    std::array<unsigned char, 4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1> encoded{};
    auto const size = EVP_EncodeBlock(encoded.data(), digest.data(), SHA_DIGEST_LENGTH);
    return std::string(reinterpret_cast<char const*>(encoded.data()), static_cast<std::size_t>(size));
}

std::string switching_protocols(std::string_view accept)
{
    std::string response = "HTTP/1.1 101 Switching Protocols\r\nServer: longpolling-server\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Accept: ";
    response.append(accept).append("\r\n\r\n");
    return response;
}

} // namespace lp::ws
