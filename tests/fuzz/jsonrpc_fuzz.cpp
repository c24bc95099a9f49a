// A JSON-RPC request body: the envelope is checked and its params extracted, or the call is
// refused with a 400; a parsed call's id and params are echoed back as a reply would be.
#include "fuzz_input.hpp"
#include "routes/errors.hpp"
#include "routes/jsonrpc.hpp"

#include <boost/json/value.hpp>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    try {
        auto call = lp::jsonrpc::parse_call(lp::fuzz::text(data, size));
        (void)lp::jsonrpc::result(call.id, boost::json::value(std::move(call.params)));
    }
    catch (lp::bad_request const&) {
    }
    return 0;
}
