// Test support: runs a shell command and returns what it printed.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace lp::test {

/// The standard output of `command` (run by /bin/sh).
/// Errors: std::runtime_error when it cannot start or does not exit with status 0.
inline std::string command_output(std::string const& command)
{
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe)
        throw std::runtime_error("cannot run: " + command);
    std::string output;
    char buffer[65536];
    while (auto n = std::fread(buffer, 1, sizeof buffer, pipe))
        output.append(buffer, n);
    int const status = pclose(pipe);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("failed: " + command);
    return output;
}

} // namespace lp::test
