#include "orm_bridge/session_token_memo.hpp"

namespace lp::orm {

bool session_token_memo::matches(std::string_view sid, std::string_view token, session_token_fields const& row)
{
    // The whole row is the key, not a hash of it: a collision must never let a stale token in.
    if (checked_row_ != row) {
        matched_ = session_token_matches(sid, token, row);
        checked_row_ = row;
    }
    return matched_;
}

} // namespace lp::orm
