// Raw bytes from a client asking for a WebSocket, read as the server reads them: Beast's request
// parser under the default header limit, the handshake's headers picked by the server's own
// function, the verdict, and the bytes that followed the request (a client may send its first
// frames at once) given to the frame decoder. The verdict must keep its promises: 101 only for
// a GET over HTTP/1.1 with version 13 and a valid key, with a 28-character accept value and an
// answer that is one header block; 426 only for another version; every refusal says why.
#include "fuzz_input.hpp"
#include "server/websocket_frame.hpp"
#include "server/websocket_handshake.hpp"

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdlib>
#include <string>

namespace http = boost::beast::http;
namespace ws = lp::ws;

namespace {

void check(bool condition)
{
    if (!condition)
        std::abort();
}

bool is_base64(std::string_view text)
{
    for (char const c : text)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '='))
            return false;
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    auto input = lp::fuzz::text(data, size);
    http::request_parser<http::string_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(1024 * 1024);
    boost::beast::error_code ec;
    while (!input.empty() && !parser.is_done()) {
        auto const used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
        if (ec == http::error::need_more)
            return 0; // the server would wait for the rest of the request
        if (ec)
            return 0;
        input.remove_prefix(used);
    }
    if (!parser.is_done())
        return 0;

    auto const request = ws::handshake_request_of(parser.get());

    auto const verdict = ws::check_handshake(request);
    check(verdict.status == 101 || verdict.status == 400 || verdict.status == 426);
    if (verdict.status != 101) {
        check(!verdict.reason.empty());
        check(verdict.accept.empty());
        check(verdict.status != 426 || (request.version && *request.version != "13"));
        return 0;
    }
    check(request.method == "GET" && request.http_version >= 11);
    check(request.host && request.upgrade && request.connection);
    check(request.version == "13");
    check(request.key && request.key->size() == 24 && is_base64(*request.key));
    check(verdict.accept.size() == 28 && verdict.accept.ends_with('=') && is_base64(verdict.accept));
    check(verdict.accept == ws::accept_value(*request.key));
    auto const response = ws::switching_protocols(verdict.accept);
    check(response.find("\r\n\r\n") == response.size() - 4);

    // What the client sent after the request reaches the frame decoder, as the server's
    // early bytes do.
    std::string early(input);
    std::span<char> rest(early);
    ws::frame_decoder decoder(64 * 1024);
    while (!rest.empty()) {
        ws::frame_event event;
        auto const used = decoder.decode(rest, event);
        check(used > 0 && used <= rest.size());
        rest = rest.subspan(used);
        if (event.what == ws::frame_event::kind::none || event.what == ws::frame_event::kind::error)
            break;
    }
    return 0;
}
