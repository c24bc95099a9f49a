#include "routes/jsonrpc.hpp"

#include "routes/errors.hpp"
#include "routes/json_limits.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace lp::jsonrpc {

call parse_call(std::string_view body)
{
    auto document = parse_request_json(body);
    auto* envelope = document.if_object();
    if (!envelope)
        throw bad_request("a JSON-RPC request must be a JSON object");
    if (auto const* version = envelope->if_contains("jsonrpc");
        version && !(version->is_string() && version->get_string() == "2.0"))
        throw bad_request("JSON-RPC version must be \"2.0\"");
    if (auto const* method = envelope->if_contains("method"); method && !method->is_string())
        throw bad_request("JSON-RPC method must be a string");
    // The parameters stay in the document's storage (moved, not copied): a large body is
    // held once, within parse_request_json's bound.
    call parsed{nullptr, boost::json::object(document.storage())};
    if (auto const* id = envelope->if_contains("id"))
        parsed.id = *id;
    if (auto* params = envelope->if_contains("params"); params && !params->is_null()) {
        if (!params->is_object())
            throw bad_request("JSON-RPC params must be an object of named parameters");
        parsed.params = std::move(params->get_object());
    }
    return parsed;
}

std::string result(boost::json::value const& id, boost::json::value const& result)
{
    return boost::json::serialize(boost::json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}});
}

boost::json::object error_object(error_reply const& reply)
{
    // Odoo's codes: 100 for an expired session, 404 for a missing route, else 200.
    bool const session_expired = reply.status == 401;
    bool const missing = reply.status == 404;
    return {
        {"code", session_expired ? 100 : missing ? 404 : 200},
        {"message", session_expired ? "Odoo Session Expired" : missing ? "404: Not Found" : "Odoo Server Error"},
        {"data",
         {{"name", reply.name},
          {"message", reply.message},
          {"arguments", boost::json::array{reply.message}},
          {"debug", ""},
          {"context", boost::json::object{}},
          {"http_status", reply.status}}},
    };
}

std::string error(boost::json::value const& id, error_reply const& reply)
{
    return boost::json::serialize(
        boost::json::object{{"jsonrpc", "2.0"}, {"id", id}, {"error", error_object(reply)}});
}

} // namespace lp::jsonrpc
