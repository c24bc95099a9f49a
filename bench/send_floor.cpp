// lp-send-floor: what the kernel alone charges for a fan-out on this machine. N loopback TCP
// connections; one thread pinned to CPU 0 writes a reply-sized message to each, back to back,
// while a reader pinned to CPU 1 takes them out of one epoll set, as a client would. No HTTP,
// no bookkeeping: the time of that loop is the floor under any one-thread server's fan-out of N
// here (each send also runs the receiver's TCP path and wake-up on the sender's CPU).
//
//   lp-send-floor [--connections N] [--bytes B] [--rounds R]
//
// Prints one JSON line: {"connections":N,"bytes":B,"rounds":R,"ms_per_round":[...],
// "median_ms":..,"max_ms":..,"us_per_send":..}. Figures, not a test.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

void pin_to(int cpu)
{
    if (static_cast<int>(std::thread::hardware_concurrency()) <= cpu)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

int checked(int result, char const* what)
{
    if (result < 0)
        throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
    return result;
}

/// The server and client ends of `n` loopback connections, both with TCP_NODELAY.
void connect_pairs(std::size_t n, std::vector<int>& server_ends, std::vector<int>& client_ends)
{
    int const listener = checked(::socket(AF_INET, SOCK_STREAM, 0), "socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    checked(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), "bind");
    checked(::listen(listener, 4096), "listen");
    socklen_t length = sizeof address;
    checked(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), "getsockname");
    int const one = 1;
    for (std::size_t i = 0; i < n; ++i) {
        int const client = checked(::socket(AF_INET, SOCK_STREAM, 0), "socket");
        checked(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address), "connect");
        int const server = checked(::accept(listener, nullptr, nullptr), "accept");
        ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        checked(::fcntl(client, F_SETFL, ::fcntl(client, F_GETFL) | O_NONBLOCK), "fcntl"); // read until EAGAIN
        server_ends.push_back(server);
        client_ends.push_back(client);
    }
    ::close(listener);
}

double thread_cpu_ms()
{
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

std::size_t arg(int argc, char** argv, char const* flag, std::size_t fallback)
{
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], flag) == 0)
            return static_cast<std::size_t>(std::strtoull(argv[i + 1], nullptr, 10));
    return fallback;
}

} // namespace

int main(int argc, char** argv)
{
    std::size_t const n = arg(argc, argv, "--connections", 9000);
    std::size_t const bytes = std::max<std::size_t>(1, arg(argc, argv, "--bytes", 256));
    std::size_t const rounds = std::max<std::size_t>(1, arg(argc, argv, "--rounds", 5));
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    try {
        pin_to(0);
        std::vector<int> server_ends, client_ends;
        connect_pairs(n, server_ends, client_ends);
        int const readers = checked(::epoll_create1(0), "epoll_create1");
        for (int fd : client_ends) {
            epoll_event event{};
            event.events = EPOLLIN | EPOLLET;
            event.data.fd = fd;
            checked(::epoll_ctl(readers, EPOLL_CTL_ADD, fd, &event), "epoll_ctl");
        }
        std::atomic<std::size_t> received{0}; // bytes: one message may take several reads
        std::atomic<bool> done{false};
        std::thread reader([&] {
            pin_to(1);
            epoll_event events[128];
            std::vector<char> buffer(bytes + 4096);
            while (!done) {
                int const ready = ::epoll_wait(readers, events, 128, 100);
                for (int i = 0; i < ready; ++i)
                    for (ssize_t got; (got = ::read(events[i].data.fd, buffer.data(), buffer.size())) > 0;)
                        received += static_cast<std::size_t>(got);
            }
        });
        std::string const message(bytes, 'x');
        std::vector<double> ms, cpu_ms;
        for (std::size_t r = 0; r < rounds; ++r) {
            std::this_thread::sleep_for(std::chrono::milliseconds(300)); // let everything settle
            auto const start = std::chrono::steady_clock::now();
            auto const cpu_start = thread_cpu_ms();
            for (int fd : server_ends)
                checked(static_cast<int>(::send(fd, message.data(), message.size(), MSG_NOSIGNAL)), "send");
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
            cpu_ms.push_back(thread_cpu_ms() - cpu_start);
            while (received < (r + 1) * n * bytes)
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        done = true;
        reader.join();
        auto sorted = ms;
        std::sort(sorted.begin(), sorted.end());
        auto cpu_sorted = cpu_ms;
        std::sort(cpu_sorted.begin(), cpu_sorted.end());
        std::string list;
        for (double v : ms)
            list += (list.empty() ? "" : ",") + std::to_string(v);
        double const median = sorted[sorted.size() / 2];
        // The sending thread's CPU time (its sends, and the receivers' TCP path that loopback
        // runs on the sender's CPU): on a loaded machine wall time also counts preemption.
        std::printf("{\"connections\":%zu,\"bytes\":%zu,\"rounds\":%zu,\"ms_per_round\":[%s],\"median_ms\":%.2f,"
                    "\"max_ms\":%.2f,\"us_per_send\":%.2f,\"median_cpu_ms\":%.2f}\n",
                    n, bytes, rounds, list.c_str(), median, sorted.back(), 1000.0 * median / static_cast<double>(n),
                    cpu_sorted[cpu_sorted.size() / 2]);
    }
    catch (std::exception const& e) {
        std::fprintf(stderr, "lp-send-floor: %s\n", e.what());
        return 1;
    }
}
