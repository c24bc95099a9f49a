// A route pattern and a request path (separated by a NUL byte): the pattern is checked, and a
// valid one matches the path and extracts its variables.
#include "fuzz_input.hpp"
#include "routes/path_pattern.hpp"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    auto const [pattern, path] = lp::fuzz::split_at_nul(lp::fuzz::text(data, size));
    if (!lp::route_path_error(pattern).empty())
        return 0;
    lp::path_pattern const compiled{pattern};
    (void)compiled.match(path);
    return 0;
}
