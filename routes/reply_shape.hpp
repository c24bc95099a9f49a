// How a result or an error becomes the response body, by the form the request came in.
#pragma once

#include "routes/error_reply.hpp"
#include "routes/outgoing_response.hpp"
#include "routes/http_reply.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace lp {

/// Decided by the route's mode and the request's form.
enum class reply_form {
    json_plain, ///< json mode, original GET form: the bare result
    json_rpc,   ///< json mode, JSON-RPC POST: the result in an envelope; errors with HTTP 200
                ///< (404 excepted) once the call was read, as Odoo's _json_response
    http        ///< http mode: the handler's own body
};

/// Everything needed to write a reply later: its form, the JSON-RPC id, and CORS.
struct reply_shape {
    reply_form form = reply_form::json_plain;
    boost::json::value rpc_id;
    bool rpc_call_read = false; ///< the JSON-RPC envelope parsed: its errors travel in the body
    bool cors = false;
};

/// A JSON result's body in the request's form is json_body_open + result + json_body_close:
/// the JSON-RPC envelope around it, or nothing. In pieces, so that a parked reply keeps the
/// opening from the time it parks and the transport writes the body without building it.
std::string json_body_open(reply_shape const& shape);
std::string_view json_body_close(reply_shape const& shape);

outgoing_response json_response(reply_shape const& shape, boost::json::value const& result);
/// The same for a result already serialized to JSON text.
outgoing_response serialized_json_response(reply_shape const& shape, std::string_view result_json);
outgoing_response http_response(reply_shape const& shape, http_reply reply);
outgoing_response error_response(reply_shape const& shape, error_reply const& error);

} // namespace lp
