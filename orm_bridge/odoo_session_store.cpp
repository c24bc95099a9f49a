#include "orm_bridge/odoo_session_store.hpp"

#include "orm_bridge/log.hpp"

#include <chrono>

namespace lp::orm {
namespace asio = boost::asio;

namespace {
/// Odoo 18 (check_session): a session whose deletion_time has come is logged out, although
/// its file stays for a while (so that the requests of a rotation in flight still find it).
bool marked_deleted(odoo_session_data const& data)
{
    if (!data.deletion_time)
        return false;
    auto const now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    return *data.deletion_time <= now;
}
} // namespace

odoo_session_store::odoo_session_store(std::filesystem::path sessions_dir, database_set& databases,
                                       session_file_cache_settings cache)
    : files_(std::move(sessions_dir), cache), databases_(databases)
{
}

asio::awaitable<std::optional<session>> odoo_session_store::find(std::string session_id)
{
    // A small local file: stat'ed (and read when it changed) directly, a page-cache hit in
    // practice, after the id has been validated so that it can never name a path outside the
    // sessions directory.
    std::shared_ptr<session_file_version> file;
    try {
        file = files_.find(session_id);
    }
    catch (std::exception const& e) {
        log::warning("sessions", "unreadable session file for ", session_id.substr(0, 6), "...: ", e.what());
        co_return std::nullopt;
    }
    if (!file)
        co_return std::nullopt;
    auto const& data = file->data;
    if (marked_deleted(data)) {
        log::debug("sessions", "session ", session_id.substr(0, 6), "... is past its deletion_time");
        co_return std::nullopt;
    }
    auto* db = databases_.find(data.db);
    if (!db) {
        log::debug("sessions", "session of database '", data.db, "', which this server does not serve");
        co_return std::nullopt;
    }

    // The user must still exist and be active; with a token, it must be one Odoo would
    // compute from the row now (a new password or secret invalidates it). The row comes from
    // the database's user cache: a known session costs no query (changes are seen within
    // about a second), and the HMACs are computed again only when the row has changed.
    auto const user = co_await db->users().find(data.uid);
    if (!user || !user->token.active)
        co_return std::nullopt;
    if (data.session_token
        && (!user->has_secret || !file->token.matches(session_id, *data.session_token, user->token)))
        co_return std::nullopt;
    co_return session{session_id, data.db, data.uid, data.login.empty() ? user->token.login : data.login,
                      data.context, data.is_websocket_session};
}

} // namespace lp::orm
