// Test support: runs the real curl client and returns what it printed.
#pragma once

#include <cstdio>
#include <stdexcept>
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
    std::string const command = "curl -s -w '\\n%{http_code}' " + arguments;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe)
        throw std::runtime_error("cannot run curl");
    std::string output;
    char buffer[4096];
    while (auto n = std::fread(buffer, 1, sizeof buffer, pipe))
        output.append(buffer, n);
    if (pclose(pipe) != 0)
        throw std::runtime_error("curl failed: " + command);
    auto const newline = output.rfind('\n');
    return {static_cast<unsigned>(std::stoul(output.substr(newline + 1))), output.substr(0, newline)};
}

} // namespace lp::test
