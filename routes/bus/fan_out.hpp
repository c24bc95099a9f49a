// The answering half of the bus core: arrivals settled from their shared read, parked polls
// answered from the window of recent rows after a fetch. Each distinct answer is serialized
// once, however many polls get it.
#pragma once

#include "routes/bus/bus_row.hpp"

#include <string>
#include <unordered_map>
#include <vector>

namespace lp::bus {

/// The JSON text of each distinct list of rows, built on first use.
class shared_answers {
public:
    std::string const& text_for(std::vector<bus_row const*> const& rows);

private:
    std::unordered_map<std::string, std::string> by_ids_; ///< the rows' ids, as bytes -> the text
};

} // namespace lp::bus
