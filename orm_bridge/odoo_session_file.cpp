#include "orm_bridge/odoo_session_file.hpp"

#include "orm_bridge/pickle.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace lp::orm {
namespace {

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool is_urlsafe_base64(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

// Python code tests these keys for truth, so None and False mean "not set" as much as absence.
bool is_unset(boost::json::value const& v) { return v.is_null() || (v.is_bool() && !v.get_bool()); }

/// The value of key, else of fallback (when not empty); nullptr when neither is set.
boost::json::value const* find_field(boost::json::object const& session, std::string_view key,
                                     std::string_view fallback = {})
{
    if (auto const* v = session.if_contains(key); v && !is_unset(*v))
        return v;
    if (fallback.empty())
        return nullptr;
    if (auto const* v = session.if_contains(fallback); v && !is_unset(*v))
        return v;
    return nullptr;
}

[[noreturn]] void wrong_type(std::string_view key, char const* expected)
{
    throw std::invalid_argument("session file: '" + std::string(key) + "' is not " + expected);
}

std::optional<std::string> string_field(boost::json::object const& session, std::string_view key,
                                        std::string_view fallback = {})
{
    auto const* v = find_field(session, key, fallback);
    if (!v)
        return std::nullopt;
    if (!v->is_string())
        wrong_type(key, "a str");
    return std::string(v->get_string());
}

std::int64_t uid_field(boost::json::object const& session)
{
    auto const* v = find_field(session, "uid", "_uid");
    if (!v)
        return 0;
    // True is an int in Python, but no Odoo code stores it as a uid: refuse it with the rest.
    if (!v->is_int64())
        wrong_type("uid", "an int");
    return v->get_int64();
}

std::optional<double> time_field(boost::json::object const& session, std::string_view key)
{
    auto const* v = session.if_contains(key);
    if (!v || v->is_null())
        return std::nullopt;
    if (v->is_double())
        return v->get_double();
    if (v->is_int64())
        return static_cast<double>(v->get_int64());
    wrong_type(key, "a number");
}

boost::json::value parse_root(std::string_view bytes)
{
    if (bytes.size() > max_session_file_size)
        throw std::invalid_argument("session file: larger than " + std::to_string(max_session_file_size) + " bytes");
    if (!bytes.empty() && static_cast<unsigned char>(bytes[0]) == 0x80)
        return read_pickle(bytes);
    if (!bytes.empty() && bytes[0] == '{') {
        boost::system::error_code error;
        auto root = boost::json::parse(bytes, error);
        if (error)
            throw std::invalid_argument("session file: invalid JSON: " + error.message());
        return root;
    }
    throw std::invalid_argument("session file: neither a pickle nor a JSON object");
}

/// The bytes of the file at path, or nullopt when it does not exist. Errors: see the header.
std::optional<std::string> read_session_bytes(std::filesystem::path const& path)
{
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int const error = errno;
        // ENOENT is also Odoo's garbage collector deleting the file under our feet.
        if (error == ENOENT || error == ENOTDIR)
            return std::nullopt;
        // The message leaves the session id out: it is a credential.
        throw std::system_error(error != 0 ? error : EIO, std::generic_category(),
                                "cannot open a session file in " + path.parent_path().string());
    }
    std::string bytes;
    char buffer[16384];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        bytes.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (bytes.size() > max_session_file_size)
            throw std::invalid_argument("session file: larger than " + std::to_string(max_session_file_size)
                                        + " bytes");
    }
    if (in.bad())
        throw std::system_error(EIO, std::generic_category(),
                                "cannot read a session file in " + path.parent_path().string());
    return bytes;
}

} // namespace

bool is_valid_session_id(std::string_view sid)
{
    if (sid.size() == 40)
        return std::all_of(sid.begin(), sid.end(), is_lower_hex);
    if (sid.size() == 84)
        return std::all_of(sid.begin(), sid.end(), is_urlsafe_base64);
    return false;
}

std::vector<std::filesystem::path> session_file_candidates(std::filesystem::path const& sessions_dir,
                                                           std::string_view sid)
{
    if (!is_valid_session_id(sid))
        return {};
    return {
        sessions_dir / std::string(sid.substr(0, 2)) / std::string(sid),
        sessions_dir / ("werkzeug_" + std::string(sid) + ".sess"),
    };
}

odoo_session_data parse_session_file(std::string_view bytes)
{
    auto const root = parse_root(bytes);
    if (!root.is_object())
        throw std::invalid_argument("session file: not a dict");
    auto const& session = root.get_object();

    odoo_session_data data;
    data.db = string_field(session, "db", "_db").value_or("");
    data.uid = uid_field(session);
    data.login = string_field(session, "login", "_login").value_or("");
    data.session_token = string_field(session, "session_token");
    if (auto const* context = find_field(session, "context")) {
        if (!context->is_object())
            wrong_type("context", "a dict");
        data.context = context->get_object();
    }
    data.deletion_time = time_field(session, "deletion_time");
    data.is_websocket_session = session.contains("is_websocket_session");
    return data;
}

std::optional<odoo_session_data> read_session_file(std::filesystem::path const& path)
{
    auto const bytes = read_session_bytes(path);
    if (!bytes)
        return std::nullopt;
    return parse_session_file(*bytes);
}

std::optional<odoo_session_data> load_session_file(std::filesystem::path const& sessions_dir,
                                                   std::string_view sid)
{
    for (auto const& path : session_file_candidates(sessions_dir, sid)) {
        auto data = read_session_file(path);
        if (!data)
            continue;
        // The first file found is the session, even when nobody is logged in to it.
        if (data->uid <= 0)
            return std::nullopt;
        return data;
    }
    return std::nullopt;
}

} // namespace lp::orm
