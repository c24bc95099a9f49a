// Test support: runs the built longpolling-server as a child process on a free port.
#pragma once

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdint>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace lp::test {

/// Raises this process's descriptor limit to its hard limit (tests open many sockets).
inline void raise_descriptor_limit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

inline std::string read_file(std::string const& path)
{
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// A child process whose standard output and error go to a log file (a pipe nobody reads
/// could fill up and block the server).
class child_process {
public:
    explicit child_process(std::vector<std::string> argv)
    {
        char name[] = "/tmp/lp-test-log-XXXXXX";
        int fd = mkstemp(name);
        if (fd < 0)
            throw std::runtime_error("mkstemp failed");
        close(fd);
        log_path_ = name;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_APPEND, 0);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        std::vector<char*> args;
        for (auto& a : argv)
            args.push_back(a.data());
        args.push_back(nullptr);
        int const rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0)
            throw std::runtime_error("cannot start " + argv[0]);
    }

    child_process(child_process const&) = delete;
    child_process& operator=(child_process const&) = delete;

    ~child_process()
    {
        if (pid_ > 0 && !exit_status_) {
            // A server that died on its own (a crash) is worth its log in the test output.
            if (!running() && exit_status_ && *exit_status_ >= 128)
                std::fprintf(stderr, "child %d ended by signal %d; its log:\n%s\n", pid_, *exit_status_ - 128,
                             log().c_str());
            else {
                kill(pid_, SIGKILL);
                waitpid(pid_, nullptr, 0);
            }
        }
        unlink(log_path_.c_str());
    }

    pid_t pid() const { return pid_; }
    std::string log() const { return read_file(log_path_); }

    /// The exit status once the process has ended within `limit`, else nullopt.
    std::optional<int> wait_exit(std::chrono::milliseconds limit)
    {
        auto const until = std::chrono::steady_clock::now() + limit;
        while (!exit_status_) {
            int status = 0;
            pid_t const done = waitpid(pid_, &status, WNOHANG);
            if (done == pid_)
                exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            else if (std::chrono::steady_clock::now() > until)
                return std::nullopt;
            else
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return exit_status_;
    }

    bool running() { return !wait_exit(std::chrono::milliseconds(0)); }

private:
    pid_t pid_ = -1;
    std::string log_path_;
    std::optional<int> exit_status_;
};

/// longpolling-server started with `args` plus `-i 127.0.0.1 -p 0`, ready to serve.
class server_process {
public:
    explicit server_process(std::vector<std::string> args = {})
        : child_(command(std::move(args)))
    {
        static std::regex const started(R"(Start long polling server '127\.0\.0\.1':(\d+))");
        auto const until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        std::smatch found;
        std::string text;
        while (!std::regex_search(text = child_.log(), found, started)) {
            if (!child_.running() || std::chrono::steady_clock::now() > until)
                BOOST_FAIL("the server did not start; its log:\n" << text);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        port_ = static_cast<std::uint16_t>(std::stoi(found[1]));
    }

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return child_.pid(); }
    std::string log() const { return child_.log(); }
    child_process& process() { return child_; }

    /// A line of /proc/PID/status, e.g. "Threads" or "VmRSS", as a number.
    long status_field(std::string const& field) const
    {
        std::istringstream status(read_file("/proc/" + std::to_string(pid()) + "/status"));
        for (std::string line; std::getline(status, line);)
            if (line.starts_with(field + ":"))
                return std::stol(line.substr(field.size() + 1));
        return -1;
    }

private:
    static std::vector<std::string> command(std::vector<std::string> args)
    {
        std::vector<std::string> argv{LP_SERVER_BINARY, "-i", "127.0.0.1", "-p", "0"};
        argv.insert(argv.end(), args.begin(), args.end());
        return argv;
    }

    child_process child_;
    std::uint16_t port_ = 0;
};

} // namespace lp::test
