#include "bench/blocking_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <strings.h>

namespace bench {

blocking_http::blocking_http(std::string host, std::uint16_t port) : host_(std::move(host)), port_(port) {}

blocking_http::~blocking_http() { close(); }

std::string blocking_http::render(std::string const& method, std::string const& path, std::string const& body,
                                  std::string const& extra_headers) const
{
    std::string r = method + " " + path + " HTTP/1.1\r\nHost: " + host_ + ":" + std::to_string(port_) + "\r\n";
    r += extra_headers;
    if (!body.empty() || method == "POST")
        r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    r += "\r\n";
    r += body;
    return r;
}

void blocking_http::ensure_connected()
{
    if (fd_ >= 0)
        return;
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        throw_failure("socket");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1)
        throw std::runtime_error("not an IPv4 address: " + host_);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        int e = errno;
        close();
        throw std::runtime_error("connect to " + host_ + ":" + std::to_string(port_) + ": " + std::strerror(e));
    }
    pending_.clear();
}

bool blocking_http::send_all(std::string const& data)
{
    std::size_t sent = 0;
    while (sent < data.size()) {
        auto n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

bool blocking_http::read_reply(blocking_reply& r)
{
    char chunk[16384];
    auto fill = [&]() {
        for (;;) {
            auto n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return false;
            pending_.append(chunk, static_cast<std::size_t>(n));
            return true;
        }
    };
    std::size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos)
        if (!fill())
            return false;
    std::string const head = pending_.substr(0, end + 2);
    // "HTTP/1.1 200 OK"
    auto sp = head.find(' ');
    if (sp == std::string::npos)
        return false;
    r.status = std::atoi(head.c_str() + sp + 1);
    std::size_t length = 0;
    bool keep_alive = true;
    for (std::size_t at = head.find("\r\n") + 2; at < head.size();) {
        auto eol = head.find("\r\n", at);
        std::string const line = head.substr(at, eol - at);
        at = eol + 2;
        auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        std::string const name = line.substr(0, colon);
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
            value.erase(0, 1);
        if (::strcasecmp(name.c_str(), "Content-Length") == 0)
            length = std::stoull(value);
        else if (::strcasecmp(name.c_str(), "Connection") == 0 && ::strcasecmp(value.c_str(), "close") == 0)
            keep_alive = false;
        else if (::strcasecmp(name.c_str(), "Transfer-Encoding") == 0)
            return false; // the control side only talks to servers that send Content-Length
    }
    pending_.erase(0, end + 4);
    while (pending_.size() < length)
        if (!fill())
            return false;
    r.body = pending_.substr(0, length);
    pending_.erase(0, length);
    if (!keep_alive)
        close();
    return true;
}

void blocking_http::close()
{
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
    pending_.clear();
}

void blocking_http::throw_failure(std::string const& what)
{
    throw std::runtime_error("HTTP " + what + " to " + host_ + ":" + std::to_string(port_) + " failed");
}

} // namespace bench
