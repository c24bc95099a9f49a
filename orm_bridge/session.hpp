// The Odoo/OpenERP session a request carries, and the seam through which routes find it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace lp::orm {

/// What the server knows about a logged-in Odoo user: read from Odoo's own session files.
struct session {
    std::string id;
    std::string db;
    std::int64_t uid = 0;
    std::string login;
    boost::json::object context;
    bool is_websocket_session = false; ///< the file has Odoo's is_websocket_session key
};

/// Finds the session a request names.
///
/// Errors: implementations report "no valid session" as std::nullopt, never by throwing;
/// an exception means the store itself failed (and becomes a 500/503).
class session_store {
public:
    virtual ~session_store() = default;

    /// The logged-in session with this id, or nullopt when it is unknown, expired or forged.
    virtual boost::asio::awaitable<std::optional<session>> find(std::string session_id) = 0;
};

/// The store the server uses until it is configured with Odoo's session directory: it knows
/// no session, so every must_be_authenticated route answers 401.
class no_session_store final : public session_store {
public:
    boost::asio::awaitable<std::optional<session>> find(std::string session_id) override;
};

} // namespace lp::orm
