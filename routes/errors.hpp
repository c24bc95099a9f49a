// The errors a handler raises live with the ORM bridge, which raises most of them
// (orm_bridge/errors.hpp); routes include them from here.
#pragma once

#include "orm_bridge/errors.hpp"
