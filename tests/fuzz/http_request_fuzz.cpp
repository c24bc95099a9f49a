// Raw bytes from a client, read as the server reads them: Beast's request parser under the
// server's default header and body limits, then the target's query, the Cookie header and a
// form body decoded as the dispatcher decodes them, and a JSON body read as a JSON-RPC call.
#include "fuzz_input.hpp"
#include "routes/errors.hpp"
#include "routes/jsonrpc.hpp"
#include "routes/url.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    auto input = lp::fuzz::text(data, size);
    http::request_parser<http::string_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(1024 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!input.empty() && !parser.is_done()) {
        auto const used = parser.put(boost::asio::buffer(input.data(), input.size()), ec);
        if (ec == http::error::need_more) {
            // The transport would wait for more bytes: there are none, so finish as at EOF.
            parser.put_eof(ec);
            break;
        }
        if (ec)
            return 0;
        input.remove_prefix(used);
    }
    if (ec || !parser.is_done())
        return 0;

    auto const& message = parser.get();
    std::string_view const target = message.target();
    auto const query_at = target.find('?');
    if (query_at != std::string_view::npos)
        (void)lp::parse_query(target.substr(query_at + 1));
    (void)lp::url_decode(target.substr(0, query_at), false);
    (void)lp::find_cookie(message[http::field::cookie], "session_id");
    auto const& body = message.body();
    if (message[http::field::content_type].starts_with("application/x-www-form-urlencoded"))
        (void)lp::parse_query(body);
    else if (message.method() == http::verb::post) {
        try {
            (void)lp::jsonrpc::parse_call(body);
        }
        catch (lp::bad_request const&) {
        }
    }
    return 0;
}
