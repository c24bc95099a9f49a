// Who a model call runs as, for Odoo's access rights: a user (the session's uid), Odoo's public
// user (a public route without a session), or the superuser, who bypasses them all.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace lp::orm {

/// Odoo's SUPERUSER_ID (__system__, in 13+ the only user that is always in superuser mode).
inline constexpr std::int64_t superuser_id = 1;

struct caller {
    enum class kind { superuser, user, public_user };

    kind who = kind::superuser;
    std::int64_t uid = superuser_id; ///< kind::user only
    /// The companies the user switched to (the `cids` cookie, Odoo 13+'s allowed_company_ids);
    /// nullopt: all of the user's companies, as Odoo does without it.
    std::optional<std::vector<std::int64_t>> companies;

    /// Bypasses ACLs and rules (Odoo's sudo(), or uid 1).
    static caller superuser() { return {}; }
    /// `uid` with its groups and companies; uid 1 is the superuser.
    static caller user(std::int64_t uid, std::optional<std::vector<std::int64_t>> companies = std::nullopt)
    {
        if (uid == superuser_id)
            return superuser();
        return {kind::user, uid, std::move(companies)};
    }
    /// Odoo's base.public_user, found through ir_model_data.
    static caller public_user() { return {kind::public_user, 0, std::nullopt}; }

    bool is_superuser() const { return who == kind::superuser; }
};

} // namespace lp::orm
