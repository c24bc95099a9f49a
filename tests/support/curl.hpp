// Test support: runs the real curl client and returns what it printed.
#pragma once

#include "tests/support/command.hpp"

#include <string>

namespace lp::test {

struct curl_result {
    unsigned status = 0;
    std::string body;
};

/// Runs `curl -s <arguments>` (arguments are passed to the shell as written) and splits the
/// body from the status code that -w appends.
inline curl_result curl(std::string const& arguments)
{
    auto const output = command_output("curl -s -w '\\n%{http_code}' " + arguments);
    auto const newline = output.rfind('\n');
    return {static_cast<unsigned>(std::stoul(output.substr(newline + 1))), output.substr(0, newline)};
}

} // namespace lp::test
