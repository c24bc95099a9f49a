// Test support: an Engine.IO connection without a socket, recording what Socket.IO sends.
#pragma once

#include "routes/socketio/engineio_server.hpp"

#include <string>
#include <utility>
#include <vector>

namespace lp::test {

struct fake_engineio_connection final : eio::connection {
    explicit fake_engineio_connection(std::string id, std::string cookie_header = {})
        : id_(std::move(id)), cookie_(std::move(cookie_header))
    {
    }
    std::string const& id() const override { return id_; }
    int protocol() const override { return 4; }
    void send(std::string_view data, bool binary) override { sent.emplace_back(std::string(data), binary); }
    void send(eio::message_text const& m) override { send(m.data(), false); }
    void close() override { closed = true; }
    std::string const& cookie() const override { return cookie_; }

    /// What was sent since the last call: text messages, and "<binary:N bytes>".
    std::vector<std::string> take()
    {
        std::vector<std::string> out;
        for (auto& [data, binary] : sent)
            out.push_back(binary ? "<binary:" + std::to_string(data.size()) + ">" : data);
        sent.clear();
        return out;
    }

    std::string id_;
    std::string cookie_;
    std::vector<std::pair<std::string, bool>> sent;
    bool closed = false;
};

} // namespace lp::test
