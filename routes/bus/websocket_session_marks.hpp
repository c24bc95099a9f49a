// Odoo's `is_websocket_session`: /websocket/peek_notifications' first poll marks the session,
// and its later polls and /websocket/update_bus_presence answer "session expired" to a session
// without the mark (a session that has been replaced: the page must reload).
#pragma once

#include "routes/request.hpp"

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>

namespace lp::bus {

/// The session ids this server has marked. Odoo stores the mark in the session; this server
/// does not write Odoo's session files, so it remembers the ids it marked itself (the newest
/// `capacity`, oldest forgotten first) and also honours a mark Odoo wrote in the file.
class websocket_session_marks {
public:
    explicit websocket_session_marks(std::size_t capacity = 100000) : capacity_(capacity) {}

    void mark(std::string const& session_id);
    bool marked(std::string_view session_id) const;

    /// Odoo's check: a first poll marks the request's session (when it names one); any other
    /// call needs the mark. Errors: authentication_error (JSON-RPC code 100, "Odoo Session
    /// Expired", as Odoo's SessionExpiredException) without it.
    void check(lp::request const& request, bool is_first_poll);

private:
    std::size_t capacity_;
    std::unordered_set<std::string_view> index_; ///< views of the strings in order_
    std::deque<std::string> order_;              ///< oldest first (a deque never moves its elements)
};

} // namespace lp::bus
