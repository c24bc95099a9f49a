// Sessions read from Odoo's own filesystem store, checked against the database.
#pragma once

#include "orm_bridge/database.hpp"
#include "orm_bridge/session.hpp"
#include "orm_bridge/session_file_cache.hpp"

#include <filesystem>

namespace lp::orm {

/// Finds the Odoo session of a request in `<data_dir>/sessions` (pickle or JSON files, as
/// Odoo writes them) and accepts it only when it is logged in, names a database this server
/// serves, and — when it carries a session_token (Odoo 12-18) — its token matches one
/// Odoo would compute now from the user's row and database.secret, and — when it carries
/// Odoo 18's deletion_time — that time has not come. So a logged-out user (file
/// gone) is refused at once, a changed password, secret or a deactivated user within about a
/// second.
///
/// Cost of a known session: one stat of its file (session_file_cache keeps it parsed until it
/// changes), no query (the row comes from the database's user_cache) and no HMAC (the token's
/// check is remembered until the row changes). A new or changed file is read and parsed, a
/// changed row costs up to three HMACs.
///
/// Errors: a corrupt session file is logged and treated as no session; a database failure
/// propagates (503).
class odoo_session_store final : public session_store {
public:
    odoo_session_store(std::filesystem::path sessions_dir, database_set& databases,
                       session_file_cache_settings cache = {});

    boost::asio::awaitable<std::optional<session>> find(std::string session_id) override;

private:
    session_file_cache files_;
    database_set& databases_;
};

} // namespace lp::orm
