// Test support: runs the real python3 (the reference for pickle, repr and hmac behaviour) and
// gives each test a private temporary directory.
#pragma once

#include "tests/support/command.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <vector>

namespace lp::test {

/// A new directory under the system temporary directory, removed with its content on
/// destruction.
class temp_directory {
public:
    temp_directory()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "lp-test-XXXXXX").string();
        if (!mkdtemp(pattern.data()))
            throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~temp_directory()
    {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    temp_directory(temp_directory const&) = delete;
    temp_directory& operator=(temp_directory const&) = delete;

    std::filesystem::path const& path() const { return path_; }

private:
    std::filesystem::path path_;
};

/// Writes bytes to path exactly, creating the parent directories.
inline void write_bytes(std::filesystem::path const& path, std::string_view bytes)
{
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out)
        throw std::runtime_error("cannot write " + path.string());
}

/// The whole content of path. Errors: std::runtime_error when it cannot be opened.
inline std::string read_bytes(std::filesystem::path const& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path.string());
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

/// Decodes lowercase or uppercase hex text. Errors: std::invalid_argument on bad input.
inline std::string from_hex(std::string_view hex)
{
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        throw std::invalid_argument("from_hex: not a hex digit");
    };
    if (hex.size() % 2 != 0)
        throw std::invalid_argument("from_hex: odd length");
    std::string bytes;
    bytes.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2)
        bytes += static_cast<char>(digit(hex[i]) * 16 + digit(hex[i + 1]));
    return bytes;
}

/// text quoted for /bin/sh as one word.
inline std::string shell_quote(std::string_view text)
{
    std::string quoted = "'";
    for (char c : text) {
        if (c == '\'')
            quoted += "'\\''";
        else
            quoted += c;
    }
    return quoted + "'";
}

/// Runs `python3 script arguments...` and returns what it wrote to standard output. The
/// script goes through a file, so it needs no shell quoting. -I keeps the user's
/// environment and site-packages out; -X utf8 fixes the standard streams' encoding.
///
/// Errors: std::runtime_error when python3 cannot start or exits with a failure.
inline std::string run_python(std::string_view script, std::vector<std::string> const& arguments = {})
{
    temp_directory directory;
    auto const script_path = directory.path() / "script.py";
    write_bytes(script_path, script);
    std::string command = "python3 -I -X utf8 " + shell_quote(script_path.string());
    for (auto const& argument : arguments)
        command += " " + shell_quote(argument);
    try {
        return command_output(command);
    }
    catch (std::runtime_error const&) {
        throw std::runtime_error("python3 failed running:\n" + std::string(script));
    }
}

} // namespace lp::test
