// Where a request ends, checked on its header before its body is read (RFC 9112, section 6):
// every case in which a proxy in front and this server could disagree on it (request
// smuggling) is refused, and the connection closed, instead of being guessed at.
#pragma once

#include <boost/beast/http/fields.hpp>

#include <optional>
#include <string>

namespace lp {

struct framing_refusal {
    unsigned status; ///< 400, or 501 for a transfer coding other than chunked under it
    std::string reason;
};

/// Why the request with this header cannot be framed safely, or nothing when it can:
/// Transfer-Encoding whose final coding is not `chunked` (or that names `chunked` twice, or
/// comes in an HTTP/1.0 request), Transfer-Encoding together with Content-Length, more than one
/// Content-Length, or one that is not a plain decimal number.
std::optional<framing_refusal> check_framing(boost::beast::http::fields const& header, unsigned version);

} // namespace lp
