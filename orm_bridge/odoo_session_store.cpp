#include "orm_bridge/odoo_session_store.hpp"

#include "orm_bridge/log.hpp"
#include "orm_bridge/odoo_session_file.hpp"
#include "orm_bridge/session_token.hpp"

namespace lp::orm {
namespace asio = boost::asio;

odoo_session_store::odoo_session_store(std::filesystem::path sessions_dir, database_set& databases,
                                       std::chrono::milliseconds check_timeout)
    : sessions_dir_(std::move(sessions_dir)), databases_(databases), check_timeout_(check_timeout)
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
    // compute from the row now (a new password or secret invalidates it).
    auto c = co_await db->pool().acquire(std::chrono::steady_clock::now() + check_timeout_);
    std::string const sql = "SELECT active, id, login, password,"
                            "       (SELECT value FROM ir_config_parameter WHERE key = 'database.secret')"
                            "  FROM res_users WHERE id = $1";
    pg::parameters uid{std::to_string(data->uid)};
    auto row = co_await c.query(sql, std::move(uid));
    if (row.rows() != 1 || row.value(0, 0) != "t")
        co_return std::nullopt;
    if (data->session_token) {
        session_token_fields fields{
            true,
            data->uid,
            std::string(row.value(0, 2)),
            row.is_null(0, 3) ? std::nullopt : std::optional<std::string>(std::string(row.value(0, 3))),
            std::string(row.value(0, 4)),
        };
        if (row.is_null(0, 4) || !tokens_equal(compute_session_token(session_id, fields), *data->session_token))
            co_return std::nullopt;
    }
    co_return session{session_id, data->db, data->uid, data->login.empty() ? std::string(row.value(0, 2)) : data->login,
                      data->context};
}

} // namespace lp::orm
