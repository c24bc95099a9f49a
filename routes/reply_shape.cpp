#include "routes/reply_shape.hpp"

#include "routes/jsonrpc.hpp"

#include <boost/json/serialize.hpp>

namespace lp {
namespace json = boost::json;

namespace {
void add_cors(reply_shape const& shape, outgoing_response& out)
{
    if (shape.cors)
        cors::allow_any_origin(out.headers);
}
} // namespace

outgoing_response json_response(reply_shape const& shape, json::value const& result)
{
    return serialized_json_response(shape, json::serialize(result));
}

std::string json_body_open(reply_shape const& shape)
{
    // {"jsonrpc":"2.0","id":ID,"result":RESULT}, put together without re-parsing RESULT.
    if (shape.form != reply_form::json_rpc)
        return {};
    return R"({"jsonrpc":"2.0","id":)" + json::serialize(shape.rpc_id) + R"(,"result":)";
}

std::string_view json_body_close(reply_shape const& shape) { return shape.form == reply_form::json_rpc ? "}" : ""; }

outgoing_response serialized_json_response(reply_shape const& shape, std::string_view result_json)
{
    outgoing_response out;
    out.content_type = "application/json";
    out.body = json_body_open(shape);
    auto const close = json_body_close(shape);
    out.body.reserve(out.body.size() + result_json.size() + close.size());
    out.body.append(result_json).append(close);
    add_cors(shape, out);
    return out;
}

outgoing_response http_response(reply_shape const& shape, http_reply reply)
{
    outgoing_response out;
    out.status = reply.status;
    out.content_type = std::move(reply.content_type);
    out.body = std::move(reply.body);
    add_cors(shape, out);
    return out;
}

/// The status line of an error. Odoo answers a JSON-RPC call's errors with HTTP 200 and the
/// error object (its web client reads error.code and error.data, and takes any other status
/// for a lost connection), except a missing route: 404 stays 404. A body that is not a
/// JSON-RPC call at all is refused before any of that (400), as Odoo 8-15 do; the GET form and
/// http routes keep the real status.
unsigned error_status(reply_shape const& shape, error_reply const& error)
{
    if (shape.form == reply_form::json_rpc && shape.rpc_call_read && error.status != 404)
        return 200;
    return error.status;
}

outgoing_response error_response(reply_shape const& shape, error_reply const& error)
{
    outgoing_response out;
    out.status = error_status(shape, error);
    if (error.retry_after)
        out.headers.emplace_back("Retry-After", std::to_string(error.retry_after->count()));
    switch (shape.form) {
    case reply_form::json_rpc:
        out.content_type = "application/json";
        out.body = jsonrpc::error(shape.rpc_id, error);
        break;
    case reply_form::json_plain:
        out.content_type = "application/json";
        out.body = json::serialize(json::object{{"error", jsonrpc::error_object(error)}});
        break;
    case reply_form::http:
        out.content_type = "text/plain; charset=utf-8";
        out.body = error.message + "\n";
        break;
    }
    add_cors(shape, out);
    return out;
}

} // namespace lp
