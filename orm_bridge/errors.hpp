// The database layer's own errors. It knows nothing of HTTP: routes/error_reply.cpp maps
// them to a status at the edge (bad_argument -> 400, access_denied -> 403, unavailable -> 503).
#pragma once

#include <stdexcept>
#include <string>

namespace lp::orm {

/// The caller asked for something that cannot be: an unknown model or field, a malformed
/// domain, order or id list. Nothing was sent to PostgreSQL.
struct bad_argument : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Odoo's AccessError: access rights (ir.model.access) or record rules (ir.rule) deny the caller
/// the model or the records asked for; the message says which, in Odoo's words.
struct access_denied : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// No cursor can be had now: the queue is full, none freed up in time, PostgreSQL cannot be
/// reached, or the server is shutting down. Worth retrying later.
struct unavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

} // namespace lp::orm
