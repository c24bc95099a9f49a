// lp-session-bench: what checking one logged-in Odoo session costs, N times over, in-process:
// the file read + parse + token HMACs of every check (before session_file_cache), against a
// stat + a remembered token check (now). The user row is given (user_cache's part is the same
// in both). Prints figures; asserts nothing about time.
#include "orm_bridge/odoo_session_file.hpp"
#include "orm_bridge/session_file_cache.hpp"
#include "orm_bridge/session_token.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using lp::orm::session_token_fields;

namespace {

std::string const sid = "0123456789abcdef0123456789abcdef01234567";
session_token_fields const row{true, 2, "admin", "$pbkdf2-sha512$600000$c2FsdA$aGFzaA", "6f1c0e52-5d6f-4a8e"};

/// An Odoo 17/18-like JSON session file carrying token.
void write_session(fs::path const& sessions, std::string const& token)
{
    fs::create_directories(sessions / sid.substr(0, 2));
    std::ofstream(sessions / sid.substr(0, 2) / sid)
        << R"({"db":"odoo","uid":2,"login":"admin","session_token":")" << token
        << R"(","context":{"lang":"en_US","tz":"Europe/Brussels","uid":2},"debug":"","pre_login":"admin",)"
        << R"("pre_uid":2,"create_time":1700000000.5,"geoip":{},"_trace":[]})";
}

template <class Check>
void measure(char const* name, int n, Check check)
{
    auto const start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i)
        if (!check())
            throw std::runtime_error(std::string(name) + ": the session was refused");
    std::chrono::duration<double, std::milli> const ms = std::chrono::steady_clock::now() - start;
    std::printf("%-44s %6d checks %9.1f ms  %7.2f us/check\n", name, n, ms.count(), ms.count() * 1000 / n);
}

} // namespace

int main(int argc, char** argv)
{
    int const n = argc > 1 ? std::atoi(argv[1]) : 10000;
    char pattern[] = "/tmp/lp-session-bench-XXXXXX";
    if (!::mkdtemp(pattern))
        return 1;
    fs::path const sessions = fs::path(pattern) / "sessions";

    struct form {
        char const* name;
        std::string token;
    };
    form const forms[] = {
        {"12-17 token (1st form tried)", lp::orm::compute_session_token(sid, row)},
        {"18 legacy token (3rd form tried)", lp::orm::compute_legacy_session_token_18(sid, row)},
    };
    for (auto const& f : forms) {
        write_session(sessions, f.token);
        std::this_thread::sleep_for(std::chrono::milliseconds(2100)); // past settle_time: kept
        std::printf("%s\n", f.name);
        measure("  before: read + parse + HMACs every check", n, [&] {
            auto data = lp::orm::load_session_file(sessions, sid);
            return data && data->session_token && lp::orm::session_token_matches(sid, *data->session_token, row);
        });
        lp::orm::session_file_cache files(sessions);
        measure("  now: stat + remembered token check", n, [&] {
            auto file = files.find(sid);
            return file && file->data.session_token && file->token.matches(sid, *file->data.session_token, row);
        });
        auto const stats = files.stats();
        std::printf("  cache: %llu read(s), %llu hit(s)\n", static_cast<unsigned long long>(stats.reads),
                    static_cast<unsigned long long>(stats.hits));
    }
    fs::remove_all(pattern);
}
