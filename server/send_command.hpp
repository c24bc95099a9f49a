// longpolling-server --send DB CHANNEL MESSAGE: publish one bus notification as Odoo does
// (a bus_bus row and NOTIFY imbus at commit), for operators and tests.
#pragma once

#include "server/config.hpp"

namespace lp {

/// Returns the process exit status (0 sent, 1 failed), after printing what happened.
int send_command(server_config const& config);

} // namespace lp
