// Test support: a test database, an Odoo data_dir with genuine session files, and the built
// server started on them.
#pragma once

#include "tests/support/http_client.hpp"
#include "tests/support/pg_database.hpp"
#include "tests/support/python.hpp"
#include "tests/support/server_process.hpp"

#include <cstdio>
#include <string>
#include <vector>

namespace lp::test {

/// etc/demo.sql's database.secret, from which session tokens are computed.
inline constexpr char demo_secret[] = "5f0c9a4e-3b7d-4e21-9c6a-8d2f1b7e4a90";

struct odoo_server_fixture {
    explicit odoo_server_fixture(std::string const& prefix) : db(prefix) {}

    test_database db;
    temp_directory data_dir;

    /// Runs scripts/make-odoo-session (Python's pickle/json and hmac) with `arguments` and
    /// returns the new session id.
    std::string make_session(std::string const& arguments, std::string const& database = "")
    {
        auto const command = env_or_fail("LP_SOURCE_DIR") + "/scripts/make-odoo-session --data-dir "
                           + data_dir.path().string() + " --db " + (database.empty() ? db.name() : database) + " "
                           + arguments;
        FILE* pipe = popen(command.c_str(), "r");
        BOOST_REQUIRE(pipe);
        char sid[128] = {};
        BOOST_REQUIRE(std::fgets(sid, sizeof sid, pipe));
        BOOST_REQUIRE(pclose(pipe) == 0);
        std::string id(sid);
        return id.substr(0, id.find('\n'));
    }

    /// A session for the demo's admin (uid 2) with a correct token.
    std::string admin_session()
    {
        return make_session("--uid 2 --login admin --password admin --secret " + std::string(demo_secret));
    }

    /// pos_longpolling's PING for POS `pos_id` on this database.
    http_response ping(std::uint16_t port, int pos_id)
    {
        return http_request(port, "POST", "/pos_longpolling/update",
                            R"({"jsonrpc":"2.0","method":"call","params":{"message":"PING","pos_id":)"
                                + std::to_string(pos_id) + R"(,"db_name":")" + db.name() + R"("},"id":2})",
                            "Content-Type: application/json\r\n");
    }

    /// The server on this database and data_dir, plus `extra` flags.
    server_process start(std::vector<std::string> extra = {})
    {
        std::vector<std::string> args{"-d", db.name(), "--db-host", env_or_fail("LP_TEST_PGHOST"), "--db-port",
                                      env_or_fail("LP_TEST_PGPORT"), "--db-user", env_or_fail("LP_TEST_PGUSER"),
                                      "--data-dir", data_dir.path().string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return server_process(args);
    }
};

} // namespace lp::test
