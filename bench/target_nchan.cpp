// nginx + nchan: long-poll subscribers (GET <sub_path><channel>, following Last-Modified and
// Etag as nchan expects), WebSocket subscribers (GET <ws_path><channel>, one text frame per
// message) and an HTTP publisher (POST <pub_path><channel>).
#include "bench/blocking_http.hpp"
#include "bench/http_client.hpp"
#include "bench/target.hpp"

#include <boost/json/parse.hpp>

#include <cstring>
#include <mutex>

namespace bench {
namespace {
namespace json = boost::json;
namespace http = boost::beast::http;

class nchan_target final : public target {
public:
    explicit nchan_target(options const& o)
        : o_(o), control_(o.host, o.port), publisher_(o.host, o.port)
    {
        host_header_ = "Host: " + o.host + ":" + std::to_string(o.port) + "\r\n";
    }

    void start(client&, cursor) const override
    {
        // Without a cursor nchan waits for the next message (nchan_subscriber_first_message
        // newest). A stale cursor has no equivalent here: an old If-Modified-Since on a channel
        // without messages aborts nchan 1.3.6's worker (spool.c:479 assertion, seen in the
        // reconnect scenario), so its "stale" crowd comes back without one.
    }

    std::string request(client const& c) const override
    {
        std::string r = "GET " + o_.sub_path + o_.channel + " HTTP/1.1\r\n" + host_header_;
        if (!c.last_modified.empty())
            r += "If-Modified-Since: " + c.last_modified + "\r\nIf-None-Match: " + c.etag + "\r\n";
        return r + "\r\n";
    }

    answer read(client& c, response const& r) const override
    {
        answer a;
        auto const status = r.result_int();
        if (status == 304 || status == 408) { // nothing new, or nchan's own subscriber timeout
            a.ok = true;
            return a;
        }
        if (status != 200) {
            a.error = "HTTP " + std::to_string(status);
            return a;
        }
        c.last_modified = std::string(r[http::field::last_modified]);
        c.etag = std::string(r[http::field::etag]);
        // One message, or several as multipart/mixed: each bench message is {"seq":N}.
        a.seqs = seqs_in(r.body());
        a.ok = true;
        return a;
    }

    std::string websocket_path() const override { return o_.ws_path + o_.channel; }

    std::string subscribe_message(client const&) const override { return {}; }

    answer read_message(client&, std::string_view text) const override
    {
        // One published message per frame, as it was posted.
        return {true, seqs_in(text), {}};
    }

    void prepare() override {}

    std::optional<std::size_t> parked(std::size_t) override
    {
        // The publisher location answers a GET with the channel's info, subscribers included.
        std::lock_guard lock(control_mutex_);
        auto reply = control_.request("GET", o_.pub_path + o_.channel, {}, "Accept: application/json\r\n");
        if (reply.status == 404)
            return 0; // no subscriber has created the channel yet
        boost::system::error_code ec;
        auto v = json::parse(reply.body, ec);
        if (ec || !v.is_object())
            return std::nullopt;
        auto const* n = v.get_object().if_contains("subscribers");
        if (!n || !n->is_number())
            return std::nullopt;
        return static_cast<std::size_t>(n->to_number<std::int64_t>());
    }

    std::optional<std::size_t> websockets_held() override { return parked(0); } // every kind counts

    void publish(std::uint64_t seq, std::atomic<std::int64_t>& sent_ns) override
    {
        std::string const body = "{\"seq\":" + std::to_string(seq) + "}";
        auto reply = publisher_.request("POST", o_.pub_path + o_.channel, body,
                                        "Content-Type: application/json\r\n",
                                        [&] { sent_ns.store(now_ns()); });
        if (reply.status != 201 && reply.status != 202)
            throw std::runtime_error("nchan publisher answered HTTP " + std::to_string(reply.status));
    }

    json::object counters() override { return {}; }

private:
    options const& o_;
    std::mutex control_mutex_;
    blocking_http control_;   ///< channel info
    blocking_http publisher_; ///< publishing
    std::string host_header_;
};

} // namespace

std::vector<std::uint64_t> seqs_in(std::string_view text)
{
    std::vector<std::uint64_t> seqs;
    constexpr std::string_view key = "\"seq\":";
    for (auto at = text.find(key); at != std::string_view::npos; at = text.find(key, at)) {
        at += key.size();
        std::uint64_t n = 0;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9')
            n = n * 10 + static_cast<std::uint64_t>(text[at++] - '0');
        seqs.push_back(n);
    }
    return seqs;
}

std::unique_ptr<target> make_nchan_target(options const& o) { return std::make_unique<nchan_target>(o); }

} // namespace bench
