// Python's repr() of text from a session or client: bytes as a str (UTF-8 checked), and a
// JSON array's items as the tuple Odoo hashes for session tokens.
#include "fuzz_input.hpp"
#include "orm_bridge/python_repr.hpp"

#include <boost/json/parse.hpp>

#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    auto const input = lp::fuzz::text(data, size);
    try {
        (void)lp::orm::python_string_repr(input);
    }
    catch (std::invalid_argument const&) {
    }
    boost::system::error_code ec;
    auto const value = boost::json::parse(input, ec);
    if (ec || !value.is_array())
        return 0;
    try {
        (void)lp::orm::python_tuple_repr(value.get_array());
    }
    catch (std::invalid_argument const&) {
    }
    return 0;
}
