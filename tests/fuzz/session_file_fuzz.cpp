// A session file's bytes (pickle or JSON) read as the session store reads them, and the
// session id a client sends checked before it may name a file.
#include "fuzz_input.hpp"
#include "orm_bridge/odoo_session_file.hpp"

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    auto const input = lp::fuzz::text(data, size);
    try {
        (void)lp::orm::parse_session_file(input);
    }
    catch (std::invalid_argument const&) {
    }
    for (auto const& candidate : lp::orm::session_file_candidates("/sessions", input))
        if (candidate.parent_path().parent_path() != "/sessions" && candidate.parent_path() != "/sessions")
            __builtin_trap(); // a session id escaped the sessions directory
    return 0;
}
