#include "routes/errors.hpp"
#include "routes/jsonrpc.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(jsonrpc)

BOOST_AUTO_TEST_CASE(parses_odoo_calls)
{
    auto call = lp::jsonrpc::parse_call(
        R"({"jsonrpc":"2.0","method":"call","params":{"channels":[],"last":0,"options":{"bus_inactivity":185712}},"id":669926782})");
    BOOST_TEST(call.id.as_int64() == 669926782);
    BOOST_TEST(call.params.at("last").as_int64() == 0);
    auto no_id = lp::jsonrpc::parse_call(R"({"jsonrpc":"2.0","method":"call","params":{}})");
    BOOST_TEST(no_id.id.is_null());
    auto null_params = lp::jsonrpc::parse_call(R"({"jsonrpc":"2.0","params":null,"id":"x"})");
    BOOST_TEST(null_params.params.empty());
    BOOST_TEST(null_params.id.as_string() == "x");
}

BOOST_AUTO_TEST_CASE(rejects_malformed_envelopes_with_a_reason)
{
    auto message_of = [](std::string_view body) {
        try {
            lp::jsonrpc::parse_call(body);
        }
        catch (lp::bad_request const& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    BOOST_TEST(message_of("{").starts_with("the body is not valid JSON"));
    BOOST_TEST(message_of("[1]") == "a JSON-RPC request must be a JSON object");
    BOOST_TEST(message_of(R"({"jsonrpc":"1.0"})") == "JSON-RPC version must be \"2.0\"");
    BOOST_TEST(message_of(R"({"method":1})") == "JSON-RPC method must be a string");
    BOOST_TEST(message_of(R"({"params":[1,2]})") == "JSON-RPC params must be an object of named parameters");
}

BOOST_AUTO_TEST_CASE(writes_results_and_errors_as_odoo_does)
{
    BOOST_TEST(lp::jsonrpc::result(7, json::array{1, 2}) == R"({"jsonrpc":"2.0","id":7,"result":[1,2]})");

    auto expired = json::parse(lp::jsonrpc::error(
        7, {401, "odoo.http.SessionExpiredException", "gone", std::nullopt}));
    BOOST_TEST(expired.at("id").as_int64() == 7);
    BOOST_TEST(expired.at("error").at("code").as_int64() == 100);
    BOOST_TEST(expired.at("error").at("message").as_string() == "Odoo Session Expired");
    BOOST_TEST(expired.at("error").at("data").at("name").as_string() == "odoo.http.SessionExpiredException");
    BOOST_TEST(expired.at("error").at("data").at("http_status").as_int64() == 401);

    auto failed = json::parse(lp::jsonrpc::error(nullptr, {400, "werkzeug.exceptions.BadRequest", "bad", std::nullopt}));
    BOOST_TEST(failed.at("id").is_null());
    BOOST_TEST(failed.at("error").at("code").as_int64() == 200);
    BOOST_TEST(failed.at("error").at("message").as_string() == "Odoo Server Error");
    BOOST_TEST(failed.at("error").at("data").at("message").as_string() == "bad");
    BOOST_TEST(failed.at("error").at("data").at("arguments").at(0).as_string() == "bad");
}

BOOST_AUTO_TEST_SUITE_END()
