// The session token Odoo 12-17 stores in a session and checks on every request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lp::orm {

/// The res_users row and database secret the token is derived from, as Odoo 12-17 reads
/// them: SELECT active, id, login, password, (database.secret) FROM res_users WHERE id = uid.
struct session_token_fields {
    bool active = false;
    std::int64_t id = 0;
    std::string login;
    std::optional<std::string> password; // NULL when the user has no local password
    std::string database_secret;

    bool operator==(session_token_fields const&) const = default;
};

/// The token Odoo 12-17 computes for session sid: the lowercase hex HMAC-SHA256 of sid, keyed
/// with the UTF-8 of Python's str((active, id, login, password, database_secret)).
///
/// Errors: std::invalid_argument when login, password or the secret is not valid UTF-8;
/// std::runtime_error if OpenSSL fails.
std::string compute_session_token(std::string_view sid, session_token_fields const& row);

/// Odoo 18's token: the HMAC of sid keyed with str() of the tuple of (column, value) pairs,
/// database_secret first, then active, id, login, password, leaving out the None values.
std::string compute_session_token_18(std::string_view sid, session_token_fields const& row);

/// Odoo 18's legacy token (still accepted by 18): str((database_secret, active, id, login,
/// password)), the secret first.
std::string compute_legacy_session_token_18(std::string_view sid, session_token_fields const& row);

/// True when token is one of the forms Odoo 12-18 accepts for sid and row: 12-17's, 18's
/// new or 18's legacy one (each an HMAC, computed until one matches).
bool session_token_matches(std::string_view sid, std::string_view token, session_token_fields const& row);

/// Compares two tokens in time that depends only on their lengths, not their content.
bool tokens_equal(std::string_view a, std::string_view b);

} // namespace lp::orm
