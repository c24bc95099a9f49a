#include "bench/proc_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace bench {

std::optional<proc_sample> sample_process(int pid)
{
    if (pid <= 0)
        return std::nullopt;
    std::string const base = "/proc/" + std::to_string(pid);
    proc_sample s;
    {
        std::ifstream status(base + "/status");
        if (!status)
            return std::nullopt;
        std::string line;
        while (std::getline(status, line)) {
            if (line.starts_with("VmRSS:"))
                s.rss_kib = std::stoll(line.substr(6));
            else if (line.starts_with("VmHWM:"))
                s.hwm_kib = std::stoll(line.substr(6));
        }
    }
    {
        std::ifstream stat(base + "/stat");
        std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
        // Fields after the command name (which may hold spaces) start after the last ')'.
        auto close = text.rfind(')');
        if (close == std::string::npos)
            return std::nullopt;
        std::istringstream rest(text.substr(close + 2));
        std::string field;
        unsigned long long utime = 0, stime = 0;
        // state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
        for (int n = 3; n <= 15 && rest >> field; ++n) {
            if (n == 14)
                utime = std::stoull(field);
            else if (n == 15)
                stime = std::stoull(field);
        }
        s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
    if (DIR* d = ::opendir((base + "/fd").c_str())) {
        while (auto* e = ::readdir(d))
            if (e->d_name[0] != '.')
                ++s.fds;
        ::closedir(d);
    }
    return s;
}

std::optional<std::int64_t> cpu_ns(int pid)
{
    if (pid <= 0)
        return std::nullopt;
    std::ifstream in("/proc/" + std::to_string(pid) + "/schedstat");
    long long ns = 0;
    if (!(in >> ns))
        return std::nullopt;
    return ns;
}

double own_cpu_seconds()
{
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto secs = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return secs(u.ru_utime) + secs(u.ru_stime);
}

void raise_descriptor_limit(std::size_t clients, char const* program)
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur != RLIM_INFINITY && clients + 32 > limit.rlim_cur)
        std::fprintf(stderr, "%s: warning: %zu clients but only %llu file descriptors allowed\n", program, clients,
                     static_cast<unsigned long long>(limit.rlim_cur));
}

} // namespace bench
