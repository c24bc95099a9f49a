#include "routes/request.hpp"

#include <boost/json/serialize.hpp>

#include <charconv>

namespace lp {
namespace {
bad_request wrong_type(std::string_view name, char const* expected)
{
    return bad_request("parameter '" + std::string(name) + "' must be " + expected);
}
} // namespace

request::request(std::string method, std::string path, boost::json::object params,
                 std::optional<std::string> session_id, clock::duration timeout)
    : method_(std::move(method))
    , path_(std::move(path))
    , params_(std::move(params))
    , session_id_(std::move(session_id))
    , timeout_(timeout)
    , deadline_(clock::now() + timeout)
{
}

orm::session const& request::session() const
{
    if (!session_)
        throw authentication_error("this request has no valid Odoo session");
    return *session_;
}

std::shared_ptr<deferred_reply> request::defer()
{
    if (!deferred_)
        deferred_ = std::make_shared<deferred_reply>();
    return deferred_;
}

lp::services const& request::no_services()
{
    static lp::services const none;
    return none;
}

orm::database& request::session_database() const
{
    auto const& s = session();
    auto* db = services_->databases ? services_->databases->find(s.db) : nullptr;
    if (!db)
        throw authentication_error("the session's database '" + s.db + "' is not served by this server");
    return *db;
}

orm::database& request::database() const
{
    if (authenticated())
        return session_database();
    auto* all = services_->databases;
    if (!all || all->all().empty())
        throw service_unavailable("this server serves no database");
    if (has_param("db")) {
        auto const name = param<std::string>("db");
        auto* db = all->find(name);
        if (!db)
            throw bad_request("database '" + name + "' is not served by this server");
        return *db;
    }
    if (all->all().size() == 1)
        return *all->all().begin()->second;
    throw bad_request("this server serves several databases: say which with the 'db' parameter");
}

orm::model request::model(std::string name) const
{
    if (!authenticated())
        return orm::model(database(), std::move(name), deadline_, {}, orm::caller::public_user());
    return orm::model(session_database(), std::move(name), deadline_, session().context,
                      orm::caller::user(session().uid, companies_));
}

std::vector<std::int64_t> parse_company_ids(std::string_view cookie)
{
    std::vector<std::int64_t> ids;
    std::size_t at = 0;
    while (at <= cookie.size() && !cookie.empty()) {
        auto end = cookie.find_first_of(",-", at);
        if (end == std::string_view::npos)
            end = cookie.size();
        auto const item = cookie.substr(at, end - at);
        std::int64_t id = 0;
        auto [last, error] = std::from_chars(item.data(), item.data() + item.size(), id);
        if (error != std::errc{} || last != item.data() + item.size() || item.empty() || id <= 0 || ids.size() >= 1000)
            throw bad_request("cookie 'cids' must be company ids separated by ',' or '-'");
        ids.push_back(id);
        at = end + 1;
    }
    return ids;
}

orm::read_cursor request::cursor() const { return orm::read_cursor(session_database(), deadline_); }

boost::json::value const& request::require(std::string_view name) const
{
    auto const* value = params_.if_contains(name);
    if (!value)
        throw bad_request("missing parameter '" + std::string(name) + "'");
    return *value;
}

template <>
boost::json::value request::param<boost::json::value>(std::string_view name) const
{
    return require(name);
}

template <>
std::string request::param<std::string>(std::string_view name) const
{
    auto const& value = require(name);
    if (value.is_string())
        return std::string(value.get_string());
    if (value.is_number())
        return boost::json::serialize(value);
    throw wrong_type(name, "a string");
}

template <>
std::int64_t request::param<std::int64_t>(std::string_view name) const
{
    auto const& value = require(name);
    if (value.is_int64())
        return value.get_int64();
    if (value.is_uint64() && value.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(value.get_uint64());
    if (value.is_string()) {
        auto const text = value.get_string();
        std::int64_t number = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (error == std::errc{} && end == text.data() + text.size() && !text.empty())
            return number;
    }
    throw wrong_type(name, "an integer");
}

template <>
double request::param<double>(std::string_view name) const
{
    auto const& value = require(name);
    if (value.is_number())
        return value.to_number<double>();
    if (value.is_string()) {
        auto const text = value.get_string();
        double number = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (error == std::errc{} && end == text.data() + text.size() && !text.empty())
            return number;
    }
    throw wrong_type(name, "a number");
}

template <>
bool request::param<bool>(std::string_view name) const
{
    auto const& value = require(name);
    if (value.is_bool())
        return value.get_bool();
    if (value.is_string()) {
        auto const text = value.get_string();
        if (text == "true" || text == "True" || text == "1")
            return true;
        if (text == "false" || text == "False" || text == "0")
            return false;
    }
    throw wrong_type(name, "a boolean");
}

} // namespace lp
