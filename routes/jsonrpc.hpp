// JSON-RPC 2.0 envelopes as OpenERP/Odoo's web client sends and reads them.
#pragma once

#include "routes/error_reply.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace lp::jsonrpc {

/// A parsed `{"jsonrpc":"2.0","method":"call","params":{...},"id":N}`.
struct call {
    boost::json::value id;      ///< echoed in the reply; null when absent
    boost::json::object params; ///< the handler's parameters
};

/// Parses a request body. Errors: bad_request (400) saying what is wrong with it.
call parse_call(std::string_view body);

/// `{"jsonrpc":"2.0","id":ID,"result":RESULT}`
std::string result(boost::json::value const& id, boost::json::value const& result);

/// `{"jsonrpc":"2.0","id":ID,"error":{"code":..,"message":..,"data":{..}}}`, the shape Odoo
/// answers with: code 100 "Odoo Session Expired" for authentication errors, code 404
/// "404: Not Found" for a missing route, otherwise code 200 "Odoo Server Error"; data carries
/// name, message, arguments and http_status (the status the error stands for, even when the
/// response itself is a 200).
std::string error(boost::json::value const& id, error_reply const& reply);

/// The error object alone (also used as the body of failed plain-GET json requests).
boost::json::object error_object(error_reply const& reply);

} // namespace lp::jsonrpc
