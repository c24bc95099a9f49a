// Test support: a small blocking HTTP/1.1 client over a plain socket, so tests control every
// byte (malformed requests, keep-alive, half-sent headers).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace lp::test {

struct http_response {
    unsigned status = 0;
    std::map<std::string, std::string> headers; ///< names in lower case
    std::string body;

    std::string header(std::string const& name) const
    {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

class http_connection {
public:
    explicit http_connection(std::uint16_t port, std::chrono::seconds read_timeout = std::chrono::seconds(30))
    {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd_ < 0)
            throw std::runtime_error("socket() failed");
        timeval tv{static_cast<time_t>(read_timeout.count()), 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            throw std::runtime_error("connect() failed");
    }
    http_connection(http_connection&& other) noexcept : fd_(std::exchange(other.fd_, -1)), pending_(std::move(other.pending_)) {}
    http_connection(http_connection const&) = delete;
    ~http_connection()
    {
        if (fd_ >= 0)
            ::close(fd_);
    }

    void send(std::string const& bytes)
    {
        std::size_t sent = 0;
        while (sent < bytes.size()) {
            auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n <= 0)
                throw std::runtime_error("send() failed");
            sent += static_cast<std::size_t>(n);
        }
    }

    /// Reads one response (Content-Length framed). Errors: std::runtime_error on EOF/timeout.
    http_response read_response()
    {
        std::size_t header_end;
        while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos)
            if (!fill())
                throw std::runtime_error("connection closed before a response header; got: " + pending_);
        http_response response;
        auto const head = pending_.substr(0, header_end);
        pending_.erase(0, header_end + 4);
        auto line_end = head.find("\r\n");
        auto status_line = head.substr(0, line_end);
        response.status = static_cast<unsigned>(std::stoul(status_line.substr(9, 3)));
        while (line_end != std::string::npos) {
            auto const next = head.find("\r\n", line_end + 2);
            auto line = head.substr(line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
            line_end = next;
            auto colon = line.find(':');
            if (colon == std::string::npos)
                continue;
            auto name = line.substr(0, colon);
            std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
            auto value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            response.headers[name] = value;
        }
        std::size_t const length = std::stoul(response.header("content-length").empty() ? "0" : response.header("content-length"));
        while (pending_.size() < length)
            if (!fill())
                throw std::runtime_error("connection closed inside a response body");
        response.body = pending_.substr(0, length);
        pending_.erase(0, length);
        return response;
    }

    /// True when the server has closed the connection (EOF) within the read timeout.
    bool closed_by_peer()
    {
        char byte;
        auto n = ::recv(fd_, &byte, 1, 0);
        if (n > 0)
            pending_.push_back(byte);
        return n == 0 || (n < 0 && errno == ECONNRESET);
    }

    http_response request(std::string const& method, std::string const& target, std::string const& body = "",
                          std::string const& extra_headers = "")
    {
        std::string text = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers;
        if (!body.empty() || method == "POST")
            text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
        text += "\r\n" + body;
        send(text);
        return read_response();
    }

    /// The next `n` bytes the server sends (after a response: a WebSocket's frames), or
    /// nullopt when the connection ends (or the read times out) first.
    std::optional<std::string> read_bytes(std::size_t n)
    {
        while (pending_.size() < n)
            if (!fill())
                return std::nullopt;
        auto bytes = pending_.substr(0, n);
        pending_.erase(0, n);
        return bytes;
    }

private:
    bool fill()
    {
        char buffer[65536];
        auto n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n <= 0)
            return false;
        pending_.append(buffer, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    std::string pending_;
};

/// A TCP port of 127.0.0.1 that was free a moment ago (for programs that need a fixed port).
inline std::uint16_t free_local_port()
{
    int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0
        || ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        if (fd >= 0)
            ::close(fd);
        throw std::runtime_error("no free local port");
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

/// One request on a fresh connection.
inline http_response http_request(std::uint16_t port, std::string const& method, std::string const& target,
                                  std::string const& body = "", std::string const& extra_headers = "")
{
    http_connection connection(port);
    return connection.request(method, target, body, extra_headers);
}

} // namespace lp::test
