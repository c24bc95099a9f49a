// A tiny blocking HTTP/1.1 client on one keep-alive connection, for the control side of a run
// (publishing to nchan, reading its channel info) on a helper thread, never on the event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace bench {

struct blocking_reply {
    int status = 0;
    std::string body;
};

class blocking_http {
public:
    blocking_http(std::string host, std::uint16_t port);
    ~blocking_http();
    blocking_http(blocking_http const&) = delete;
    blocking_http& operator=(blocking_http const&) = delete;

    /// Sends one request and reads the whole reply. `before_send`, if given, runs just before
    /// the request's bytes leave (a publish timestamp). Reconnects once if the connection
    /// was closed. Throws std::runtime_error on failure.
    template <class F>
    blocking_reply request(std::string const& method, std::string const& path, std::string const& body,
                           std::string const& extra_headers, F&& before_send)
    {
        std::string const wire = render(method, path, body, extra_headers);
        for (int attempt = 0;; ++attempt) {
            ensure_connected();
            before_send();
            if (send_all(wire)) {
                blocking_reply r;
                if (read_reply(r))
                    return r;
            }
            close();
            if (attempt == 1)
                throw_failure(method + " " + path);
        }
    }
    blocking_reply request(std::string const& method, std::string const& path, std::string const& body = {},
                           std::string const& extra_headers = {})
    {
        return request(method, path, body, extra_headers, [] {});
    }

private:
    std::string render(std::string const& method, std::string const& path, std::string const& body,
                       std::string const& extra_headers) const;
    void ensure_connected();
    bool send_all(std::string const& data);
    bool read_reply(blocking_reply& r);
    void close();
    [[noreturn]] void throw_failure(std::string const& what);

    std::string host_;
    std::uint16_t port_;
    int fd_ = -1;
    std::string pending_; ///< bytes read past the previous reply
};

} // namespace bench
