#include "orm_bridge/odoo_session_store.hpp"

#include "orm_bridge/log.hpp"
#include "orm_bridge/odoo_session_file.hpp"
#include "orm_bridge/session_token.hpp"

namespace lp::orm {
namespace asio = boost::asio;

odoo_session_store::odoo_session_store(std::filesystem::path sessions_dir, database_set& databases)
    : sessions_dir_(std::move(sessions_dir)), databases_(databases)
{
}

asio::awaitable<std::optional<session>> odoo_session_store::find(std::string session_id)
{
    // A small local file: read directly (a page-cache hit in practice), after the id has been
    // validated so that it can never name a path outside the sessions directory.
    std::optional<odoo_session_data> data;
    try {
        data = load_session_file(sessions_dir_, session_id);
    }
    catch (std::exception const& e) {
        log::warning("sessions", "unreadable session file for ", session_id.substr(0, 6), "...: ", e.what());
        co_return std::nullopt;
    }
    if (!data)
        co_return std::nullopt;
    auto* db = databases_.find(data->db);
    if (!db) {
        log::debug("sessions", "session of database '", data->db, "', which this server does not serve");
        co_return std::nullopt;
    }

    // The user must still exist and be active; with a token, it must be the one Odoo would
    // compute from the row now (a new password or secret invalidates it). The row comes from
    // the database's user cache: a known session costs no query (changes are seen within
    // about a second).
    auto const user = co_await db->users().find(data->uid);
    if (!user || !user->token.active)
        co_return std::nullopt;
    // Odoo 12-17's token, or 18's (new or legacy): each needs the secret and the user's row.
    auto const matches = [&](std::string const& expected) { return tokens_equal(expected, *data->session_token); };
    if (data->session_token
        && (!user->has_secret
            || !(matches(compute_session_token(session_id, user->token))
                 || matches(compute_session_token_18(session_id, user->token))
                 || matches(compute_legacy_session_token_18(session_id, user->token)))))
        co_return std::nullopt;
    co_return session{session_id, data->db, data->uid, data->login.empty() ? user->token.login : data->login,
                      data->context};
}

} // namespace lp::orm
