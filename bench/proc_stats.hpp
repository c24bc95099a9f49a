// What /proc says about a process (resident memory, CPU time), and this process's descriptor limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace bench {

struct proc_sample {
    std::int64_t rss_kib = 0; ///< VmRSS
    std::int64_t hwm_kib = 0; ///< VmHWM (peak RSS)
    double cpu_seconds = 0;   ///< utime + stime
    int fds = 0;              ///< entries of /proc/PID/fd
};

/// Reads /proc/PID/status, /proc/PID/stat and /proc/PID/fd; nothing if the process is gone.
std::optional<proc_sample> sample_process(int pid);

/// Nanoseconds the process's threads have run on a CPU (/proc/PID/schedstat of the main thread,
/// fine-grained where /proc/PID/stat counts 10 ms ticks); nothing if unreadable.
std::optional<std::int64_t> cpu_ns(int pid);

/// This process's own CPU time (user + system).
double own_cpu_seconds();

/// One descriptor per client: raises this process's soft limit to the hard one, and warns on
/// stderr (as `program`) when that is still too few for `clients`.
void raise_descriptor_limit(std::size_t clients, char const* program);

} // namespace bench
