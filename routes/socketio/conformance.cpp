#include "routes/socketio/conformance.hpp"

#include <boost/asio/steady_timer.hpp>

namespace lp::conformance {
namespace {

struct echo final : eio::application {
    void on_open(eio::connection&) override {}
    void on_message(eio::connection& c, std::string_view data, bool binary) override { c.send(data, binary); }
    void on_close(eio::connection&, eio::close_reason) override {}
};

/// Emits "auth" with the CONNECT payload; "/" also echoes.
struct suite_namespace final : sio::name_space {
    suite_namespace(boost::asio::any_io_executor executor, std::string path, bool echoes)
        : name_space(std::move(path)), executor_(std::move(executor)), echoes_(echoes)
    {
    }

    /// The suite reads each message with a one-shot listener: two messages in one TCP read
    /// lose the second (the reference server loses that race too, now and then). So "auth"
    /// follows the CONNECT answer a few milliseconds later instead of in the same write burst.
    void on_connect(sio::socket& s) override
    {
        auto timer = std::make_shared<boost::asio::steady_timer>(executor_, std::chrono::milliseconds(5));
        timer->async_wait([timer, weak = s.weak_from_this()](boost::system::error_code ec) {
            if (auto joined = weak.lock(); !ec && joined && joined->connected())
                joined->emit("auth", {{joined->auth()}, {}});
        });
    }
    void on_event(sio::socket& s, std::string const& event, sio::arguments a, sio::ack reply) override
    {
        if (!echoes_)
            return;
        if (event == "message")
            s.emit("message-back", std::move(a));
        else if (event == "message-with-ack" && reply)
            reply(std::move(a));
    }

private:
    boost::asio::any_io_executor executor_;
    bool echoes_;
};
} // namespace

std::unique_ptr<eio::application> engineio_echo() { return std::make_unique<echo>(); }
std::unique_ptr<sio::name_space> main_namespace(boost::asio::any_io_executor executor)
{
    return std::make_unique<suite_namespace>(std::move(executor), "/", true);
}
std::unique_ptr<sio::name_space> custom_namespace(boost::asio::any_io_executor executor)
{
    return std::make_unique<suite_namespace>(std::move(executor), "/custom", false);
}

} // namespace lp::conformance
