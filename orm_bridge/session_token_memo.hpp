// A session token's check, remembered for the user row it was made against.
#pragma once

#include "orm_bridge/session_token.hpp"

#include <optional>
#include <string_view>

namespace lp::orm {

/// Whether one session's token matches its user's row, remembered with that row: asked again
/// with the very same row (active, id, login, password, database.secret), it answers without
/// computing an HMAC; any change of the row checks again. Keep one per version of a session
/// file: the sid and token must be the same on every call.
class session_token_memo {
public:
    /// session_token_matches(sid, token, row), computed only when row differs from the last
    /// call's. Errors: as session_token_matches (and then nothing is remembered).
    bool matches(std::string_view sid, std::string_view token, session_token_fields const& row);

private:
    std::optional<session_token_fields> checked_row_;
    bool matched_ = false;
};

} // namespace lp::orm
