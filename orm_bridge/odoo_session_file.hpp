// Reads Odoo's own session files (werkzeug's FilesystemSessionStore layout).
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lp::orm {

/// The largest session file load_session_file reads, in bytes.
inline constexpr std::uintmax_t max_session_file_size = std::uintmax_t{1} << 20;

/// What the server uses from an Odoo session.
struct odoo_session_data {
    std::string db;
    std::int64_t uid = 0;
    std::string login;
    std::optional<std::string> session_token;
    boost::json::object context;
    /// Odoo 18's mark of a session being replaced (seconds since the epoch): from then on
    /// Odoo's check_session treats it as logged out.
    std::optional<double> deletion_time;
    /// Odoo 16+'s `is_websocket_session` key (set by /websocket/peek_notifications's first
    /// poll), whatever its value: Odoo tests the key's presence.
    bool is_websocket_session = false;
};

/// True for the session ids Odoo generates: 40 lowercase hex digits (werkzeug's sha1 form)
/// or 84 characters of [A-Za-z0-9_-] (newer Odoo). Uppercase hex is refused, as werkzeug
/// refuses it; anything else may not name a file.
bool is_valid_session_id(std::string_view sid);

/// Where the session sid may be stored, in the order to try: <dir>/<sid[:2]>/<sid> (Odoo
/// 9 and later), then <dir>/werkzeug_<sid>.sess (OpenERP 7, Odoo 8). Empty when sid is not
/// a valid session id, so a malformed id never becomes a path.
std::vector<std::filesystem::path> session_file_candidates(std::filesystem::path const& sessions_dir,
                                                           std::string_view sid);

/// Parses a session file's bytes: a pickle when they start with 0x80, JSON when they start
/// with '{'. Reads db, uid, login, session_token and context, falling back to OpenERP's
/// _db, _uid and _login; a missing, None or False value reads as empty (uid 0). Also
/// deletion_time (a number; None reads as unset) and whether is_websocket_session is there.
///
/// Errors: std::invalid_argument when the bytes are neither, do not parse, are not a dict,
/// or one of those keys has a value of the wrong type.
odoo_session_data parse_session_file(std::string_view bytes);

/// Reads and parses the session file at path, whoever is logged in to it (uid may be 0):
/// nullopt when there is no such file. Errors: as load_session_file's.
std::optional<odoo_session_data> read_session_file(std::filesystem::path const& path);

/// Reads the session named sid from sessions_dir (Odoo's <data_dir>/sessions): nullopt when
/// the id is malformed, no file exists, or the session has no logged-in uid (uid missing,
/// None, False or 0).
///
/// Errors: std::invalid_argument for a file that exists but cannot be parsed or is larger
/// than max_session_file_size (the caller logs it and treats it as no session);
/// std::system_error when an existing file cannot be read (e.g. permissions: a
/// configuration problem, not a missing session).
std::optional<odoo_session_data> load_session_file(std::filesystem::path const& sessions_dir,
                                                   std::string_view sid);

} // namespace lp::orm
