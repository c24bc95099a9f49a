// Bytes read as a pickle: plain data comes out as JSON, anything else is refused.
#include "fuzz_input.hpp"
#include "orm_bridge/pickle.hpp"

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    try {
        (void)lp::orm::read_pickle(lp::fuzz::text(data, size));
    }
    catch (std::invalid_argument const&) {
    }
    return 0;
}
