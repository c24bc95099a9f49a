// The dispatcher without sockets: requests in, responses out, on a real io_context.
#include "routes/dispatcher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <map>

namespace {
namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

asio::awaitable<json::value> echo(lp::request& request)
{
    co_return json::object{{"params", request.params()}, {"uid", request.authenticated() ? request.uid() : 0}};
}

asio::awaitable<json::value> typed(lp::request& request)
{
    auto id = request.param<std::int64_t>("id");
    auto flag = request.param<bool>("flag", false);
    co_return json::object{{"id", id}, {"flag", flag}};
}

asio::awaitable<json::value> slow(lp::request&)
{
    co_await lp::sleep_for(10s);
    co_return "late";
}

asio::awaitable<json::value> fails(lp::request& request)
{
    if (request.has_param("bad"))
        throw lp::bad_request("parameter 'bad' is not welcome");
    throw std::runtime_error("database exploded");
    co_return nullptr;
}

asio::awaitable<lp::http_reply> page(lp::request& request)
{
    co_return lp::http_reply("<p>" + request.param<std::string>("name", "?") + "</p>", 201);
}

/// A session store that knows a fixed set of ids (the real one reads Odoo's files).
struct known_sessions final : lp::orm::session_store {
    std::map<std::string, lp::orm::session> known;
    asio::awaitable<std::optional<lp::orm::session>> find(std::string id) override
    {
        auto it = known.find(id);
        if (it == known.end())
            co_return std::nullopt;
        co_return it->second;
    }
};

struct fixture {
    asio::io_context io;
    std::vector<lp::route_definition> definitions{
        lp::make_route<lp::mode::json>("echo", "/echo/<var>", false, &echo),
        lp::make_route<lp::mode::json>("typed", "/typed/<int:id>", false, &typed),
        lp::make_route<lp::mode::json>("private_echo", "/private", true, &echo),
        lp::make_route<lp::mode::json>("slow", "/slow", false, &slow),
        lp::make_route<lp::mode::json>("fails", "/fails", false, &fails),
        lp::make_route<lp::mode::http>("page", "/page", false, &page),
        lp::make_route<lp::mode::json>("poll_like", "/longpolling/slow", false, &slow, lp::route_option::at_root,
                                       lp::route_option::cors, lp::route_option::answering_at_timeout(json::array{})),
    };
    lp::route_table routes{definitions, "/lp"};
    known_sessions sessions;
    lp::dispatcher dispatcher{routes, sessions, 200ms};

    fixture() { sessions.known["s1"] = lp::orm::session{"s1", "demo", 2, "admin", {}}; }

    /// Starts a dispatch; the result lands in `out` once the io_context has run.
    void start(lp::incoming_request in, lp::outgoing_response& out)
    {
        asio::co_spawn(io, [](lp::dispatcher& d, lp::incoming_request in, lp::outgoing_response& out) -> asio::awaitable<void> {
            out = co_await d.dispatch(std::move(in));
        }(dispatcher, std::move(in), out), asio::detached);
    }

    lp::outgoing_response call(lp::incoming_request in)
    {
        lp::outgoing_response out;
        start(std::move(in), out);
        io.run();
        io.restart();
        return out;
    }

    lp::outgoing_response get(std::string target, std::string cookie = "")
    {
        return call({"GET", std::move(target), "", std::move(cookie), ""});
    }

    lp::outgoing_response post(std::string target, std::string body, std::string content_type = "application/json")
    {
        return call({"POST", std::move(target), std::move(content_type), "", std::move(body)});
    }
};

json::value body_of(lp::outgoing_response const& r) { return json::parse(r.body); }

} // namespace

BOOST_FIXTURE_TEST_SUITE(dispatcher, fixture)

BOOST_AUTO_TEST_CASE(json_get_form_merges_data_query_and_path)
{
    auto r = get("/lp/echo/v1?data=%7B%22a%22%3A1%2C%22var%22%3A%22ignored%22%7D&q=x&_=123&session_id=zzz");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.content_type == "application/json");
    BOOST_TEST(json::serialize(body_of(r)) == R"({"params":{"a":1,"var":"v1","q":"x"},"uid":0})");
}

BOOST_AUTO_TEST_CASE(jsonrpc_post_form_answers_in_an_envelope)
{
    auto r = post("/lp/echo/v1", R"({"jsonrpc":"2.0","method":"call","params":{"b":[1,2]},"id":9})");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(json::serialize(body_of(r)) == R"({"jsonrpc":"2.0","id":9,"result":{"params":{"b":[1,2],"var":"v1"},"uid":0}})");
}

BOOST_AUTO_TEST_CASE(http_mode_reads_query_and_form)
{
    auto q = get("/lp/page?name=a%26b");
    BOOST_TEST(q.status == 201u);
    BOOST_TEST(q.content_type == "text/html; charset=utf-8");
    BOOST_TEST(q.body == "<p>a&b</p>");
    auto f = post("/lp/page", "name=form+value", "application/x-www-form-urlencoded");
    BOOST_TEST(f.body == "<p>form value</p>");
}

BOOST_AUTO_TEST_CASE(typed_parameters)
{
    BOOST_TEST(get("/lp/typed/42?flag=true").body == R"({"id":42,"flag":true})");
    BOOST_TEST(get("/lp/typed/x").status == 404u);
    auto wrong = get("/lp/typed/1?data=%7B%22flag%22%3A%22maybe%22%7D");
    BOOST_TEST(wrong.status == 400u);
    BOOST_TEST(body_of(wrong).at("error").at("data").at("message").as_string() == "parameter 'flag' must be a boolean");
}

BOOST_AUTO_TEST_CASE(unknown_paths_and_methods)
{
    auto missing = get("/lp/nothing");
    BOOST_TEST(missing.status == 404u);
    BOOST_TEST(body_of(missing).at("error").at("data").at("message").as_string() == "nothing is served at '/lp/nothing'");
    auto put = call({"PUT", "/lp/page", "", "", ""});
    BOOST_TEST(put.status == 405u);
    BOOST_TEST(put.headers.at(0).first == "Allow");
}

BOOST_AUTO_TEST_CASE(bad_input_is_a_400_saying_what_is_wrong)
{
    auto bad_data = get("/lp/echo/v?data=%7Bnot-json");
    BOOST_TEST(bad_data.status == 400u);
    BOOST_TEST(std::string(body_of(bad_data).at("error").at("data").at("message").as_string())
                   .starts_with("parameter 'data' is not valid JSON"));
    auto array_data = get("/lp/echo/v?data=%5B1%5D");
    BOOST_TEST(array_data.status == 400u);
    auto bad_body = post("/lp/echo/v", "{\"jsonrpc\":");
    BOOST_TEST(bad_body.status == 400u);
    BOOST_TEST(body_of(bad_body).at("jsonrpc").as_string() == "2.0");
    BOOST_TEST(body_of(bad_body).at("error").at("code").as_int64() == 200);
    auto bad_escape = get("/lp/echo/v?a=%zz");
    BOOST_TEST(bad_escape.status == 400u);
}

BOOST_AUTO_TEST_CASE(authentication_through_cookie_query_or_params)
{
    auto anonymous = get("/lp/private");
    BOOST_TEST(anonymous.status == 401u);
    BOOST_TEST(body_of(anonymous).at("error").at("code").as_int64() == 100);
    BOOST_TEST(get("/lp/private?session_id=unknown").status == 401u);
    BOOST_TEST(get("/lp/private", "session_id=s1").body == R"({"params":{},"uid":2})");
    BOOST_TEST(get("/lp/private?session_id=s1").status == 200u);
    auto rpc = post("/lp/private", R"({"jsonrpc":"2.0","params":{"session_id":"s1"},"id":3})");
    BOOST_TEST(body_of(rpc).at("result").at("uid").as_int64() == 2);
    // A public route still learns the user when the session is valid.
    BOOST_TEST(body_of(get("/lp/echo/v", "session_id=s1")).at("uid").as_int64() == 2);
}

BOOST_AUTO_TEST_CASE(errors_from_handlers_map_to_statuses)
{
    auto bad = get("/lp/fails?bad=1");
    BOOST_TEST(bad.status == 400u);
    auto boom = get("/lp/fails");
    BOOST_TEST(boom.status == 500u);
    BOOST_TEST(body_of(boom).at("error").at("data").at("message").as_string() == "database exploded");
    // The dispatcher keeps serving.
    BOOST_TEST(get("/lp/echo/v").status == 200u);
}

BOOST_AUTO_TEST_CASE(a_raw_endpoint_that_throws_gets_a_500_and_the_dispatcher_keeps_serving)
{
    dispatcher.serve_raw("/raw/", [](lp::incoming_request const& in) -> lp::outgoing_response {
        if (in.target.ends_with("?boom"))
            throw std::runtime_error("transport exploded");
        lp::outgoing_response out;
        out.body = "raw";
        return out;
    });
    BOOST_TEST(get("/raw/?boom").status == 500u);
    BOOST_TEST(get("/raw/").body == "raw");
    BOOST_TEST(get("/lp/echo/v").status == 200u);
}

BOOST_AUTO_TEST_CASE(jsonrpc_errors_are_http_200_with_the_error_object_as_odoo_answers)
{
    // Odoo's _json_response: HTTP 200 and the error; its web client reads error.code/data and
    // takes any other status for a lost connection ("session expired" would never show).
    auto wrong = post("/lp/typed/1", R"({"jsonrpc":"2.0","params":{"flag":"maybe"},"id":1})");
    BOOST_TEST(wrong.status == 200u);
    BOOST_TEST(body_of(wrong).at("id").as_int64() == 1);
    BOOST_TEST(body_of(wrong).at("error").at("code").as_int64() == 200);
    BOOST_TEST(body_of(wrong).at("error").at("data").at("http_status").as_int64() == 400);
    BOOST_TEST(body_of(wrong).at("error").at("data").at("message").as_string() == "parameter 'flag' must be a boolean");
    auto expired = post("/lp/private", R"({"jsonrpc":"2.0","params":{"session_id":"unknown"},"id":2})");
    BOOST_TEST(expired.status == 200u);
    BOOST_TEST(body_of(expired).at("error").at("code").as_int64() == 100);
    BOOST_TEST(body_of(expired).at("error").at("message").as_string() == "Odoo Session Expired");
    auto boom = post("/lp/fails", R"({"jsonrpc":"2.0","params":{},"id":3})");
    BOOST_TEST(boom.status == 200u);
    BOOST_TEST(body_of(boom).at("error").at("data").at("http_status").as_int64() == 500);
    // A missing route stays a 404 (Odoo's http_status 404), with code 404.
    auto missing = post("/lp/nothing", R"({"jsonrpc":"2.0","params":{},"id":4})");
    BOOST_TEST(missing.status == 404u);
    BOOST_TEST(body_of(missing).at("error").at("code").as_int64() == 404);
    // The GET form and http routes keep the real status.
    BOOST_TEST(get("/lp/private").status == 401u);
    BOOST_TEST(get("/lp/fails").status == 500u);
}

BOOST_AUTO_TEST_CASE(a_handler_past_its_deadline_gets_408)
{
    auto const started = std::chrono::steady_clock::now();
    auto late = get("/lp/slow");
    BOOST_TEST(late.status == 408u);
    BOOST_TEST(std::string(body_of(late).at("error").at("data").at("message").as_string())
                   .starts_with("the handler did not answer within longpolling_timeout"));
    // Answered at the deadline, not when the handler's 10 s sleep would have ended.
    BOOST_TEST((std::chrono::steady_clock::now() - started < 5s));
    BOOST_TEST(dispatcher.running() == 0u);
}

BOOST_AUTO_TEST_CASE(stop_answers_every_waiting_handler)
{
    lp::outgoing_response first, second;
    start({"GET", "/lp/slow", "", "", ""}, first);
    start({"POST", "/lp/slow", "application/json", "", R"({"jsonrpc":"2.0","params":{},"id":1})"}, second);
    io.poll(); // both handlers are now parked
    BOOST_TEST(dispatcher.running() == 2u);
    dispatcher.stop();
    io.run();
    BOOST_TEST(first.status == 408u);
    BOOST_TEST(second.status == 200u); // JSON-RPC: the error travels in the body
    BOOST_TEST(body_of(second).at("error").at("data").at("http_status").as_int64() == 408);
    BOOST_TEST(body_of(second).at("error").at("data").at("message").as_string() == "the server is shutting down");
    io.restart();
    BOOST_TEST(get("/lp/slow").status == 408u);
}

BOOST_AUTO_TEST_CASE(root_routes_cors_and_timeout_results)
{
    // Served at its own path, not under the prefix; answers [] (not 408) at its deadline.
    auto late = post("/longpolling/slow", R"({"jsonrpc":"2.0","params":{},"id":4})");
    BOOST_TEST(late.status == 200u);
    BOOST_TEST(late.body == R"({"jsonrpc":"2.0","id":4,"result":[]})");
    BOOST_TEST(late.headers.at(0).first == "Access-Control-Allow-Origin");
    BOOST_TEST(get("/lp/longpolling/slow").status == 404u);
    auto preflight = call({"OPTIONS", "/longpolling/slow", "", "", ""});
    BOOST_TEST(preflight.status == 204u);
    BOOST_TEST(preflight.headers.size() == 4u);
    // Routes without CORS refuse OPTIONS.
    BOOST_TEST(call({"OPTIONS", "/lp/page", "", "", ""}).status == 405u);
}

BOOST_AUTO_TEST_SUITE_END()
