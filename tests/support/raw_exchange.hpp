// Test support: raw bytes to the server and everything it answers until it closes, for
// framing checks (how many responses came back, and whether the connection ended).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>

namespace lp::test {

/// Built with AddressSanitizer (CI's second pass): memory figures (shadow memory, quarantine)
/// and CPU times mean nothing there.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif

struct raw_result {
    std::string received; ///< every byte the server sent
    bool closed = false;  ///< the server closed the connection (EOF or reset) within the timeout

    /// Responses in `received` (status lines).
    std::size_t responses() const
    {
        static std::regex const status_line(R"(HTTP/1\.[01] \d{3} )");
        return static_cast<std::size_t>(
            std::distance(std::sregex_iterator(received.begin(), received.end(), status_line), std::sregex_iterator()));
    }
    /// The first response's status, 0 when there is none.
    unsigned status() const { return received.size() >= 12 ? static_cast<unsigned>(std::stoul(received.substr(9, 3))) : 0; }
};

/// Sends `bytes` on a new connection (as far as the server takes them: it may close midway),
/// then reads until the server closes or `timeout` passes.
inline raw_result raw_exchange(std::uint16_t port, std::string const& bytes,
                               std::chrono::seconds timeout = std::chrono::seconds(5))
{
    raw_result result;
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return result;
    }
    for (std::size_t sent = 0; sent < bytes.size();) {
        auto const n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break; // refused midway: what it answered is still there to read
        sent += static_cast<std::size_t>(n);
    }
    char buffer[65536];
    for (;;) {
        auto const n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            result.received.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        result.closed = n == 0 || errno == ECONNRESET;
        break;
    }
    ::close(fd);
    return result;
}

/// CPU time (user + system) process `pid` has used, from /proc/PID/stat.
inline std::chrono::milliseconds cpu_time(int pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2)); // after "pid (comm) "
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; fields >> field; ++i) {
        if (i == 14)
            utime = std::stoll(field);
        if (i == 15) {
            stime = std::stoll(field);
            break;
        }
    }
    auto const ticks = sysconf(_SC_CLK_TCK);
    return std::chrono::milliseconds((utime + stime) * 1000 / ticks);
}

} // namespace lp::test
