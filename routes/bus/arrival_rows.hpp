// The rows of one shared read for arriving clients (polls at their arrival, /websocket
// subscribes), from which each client takes its own: what Odoo's _poll would have read for it
// alone. Shared by bus_core (long polls) and replay_reads (WebSocket subscribes).
#pragma once

#include "routes/bus/bus_row.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lp::bus {

class arrival_rows {
public:
    /// `rows` (in id order, as read) outlive this.
    explicit arrival_rows(std::vector<bus_row> const& rows);

    /// Into `out` (cleared first): the rows of `keys` after `last`, or with last 0 those
    /// recent enough; in id order, each once.
    void select(std::vector<std::string> const& keys, std::int64_t last, std::vector<bus_row const*>& out) const;

private:
    /// Bucketed by channel once, so that a storm of arrivals costs each client its own
    /// channels' rows, not a scan of every row read.
    std::unordered_map<std::string_view, std::vector<bus_row const*>> by_key_;
};

} // namespace lp::bus
