#include "routes/bus/channel_hooks.hpp"

namespace lp::bus {
namespace {
std::vector<named_channel_hook>& hooks()
{
    static std::vector<named_channel_hook> all;
    return all;
}
} // namespace

void define_channel_hook(named_channel_hook hook) { hooks().push_back(hook); }

std::vector<named_channel_hook> const& channel_hooks() { return hooks(); }

} // namespace lp::bus
