// lp-acl-bench: what Odoo's access rights cost a search_read through the ORM bridge.
//
//   lp-acl-bench --host /tmp/pgdir --port 5432 --user postgres [--partners 20000] [--calls 300] [--runs 5]
//
// Makes its own database (etc/demo.sql plus `partners` generated contacts in two companies, a
// contact in ten under a customer company), then times res.partner.search_read([], ['name',
// 'email'], limit 80) through orm::model as the superuser, as the internal user demo (base's
// multi-company rule) and as the portal user (plus the child_of rule), interleaved, `calls`
// each per run. Prints, per caller, the median and range over the runs of the mean time per call
// and of its ratio to the superuser's. Figures only; it asserts nothing.
#include "orm_bridge/model.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

/// Blocking set-up statements (this is a tool, not the server).
void exec(std::string const& conninfo, std::string const& sql)
{
    PGconn* conn = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
        std::string message = PQerrorMessage(conn);
        PQfinish(conn);
        throw std::runtime_error("connection failed: " + message);
    }
    PGresult* r = PQexec(conn, sql.c_str());
    auto const status = PQresultStatus(r);
    std::string message = PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(conn);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        throw std::runtime_error("set-up failed: " + message);
}

struct options {
    std::string host, port = "5432", user = "postgres", source = LP_SOURCE_DIR;
    int partners = 20000, calls = 300, runs = 5;
};

options parse(int argc, char** argv)
{
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string const flag = argv[i], value = argv[i + 1];
        if (flag == "--host") o.host = value;
        else if (flag == "--port") o.port = value;
        else if (flag == "--user") o.user = value;
        else if (flag == "--partners") o.partners = std::stoi(value);
        else if (flag == "--calls") o.calls = std::stoi(value);
        else if (flag == "--runs") o.runs = std::stoi(value);
        else throw std::invalid_argument("unknown flag " + flag);
    }
    if (o.host.empty())
        throw std::invalid_argument("usage: lp-acl-bench --host <socket dir or IP> [--port P] [--user U] "
                                    "[--partners N] [--calls N] [--runs N]");
    return o;
}

struct figures {
    double median, low, high;
};

figures summary(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return {values[values.size() / 2], values.front(), values.back()};
}

} // namespace

int main(int argc, char** argv)
try {
    auto const o = parse(argc, argv);
    std::string const dbname = "lp_acl_bench_" + std::to_string(getpid());
    std::string const base = "host=" + o.host + " port=" + o.port + " user=" + o.user;
    exec(base + " dbname=postgres", "CREATE DATABASE " + dbname);
    struct drop_at_exit {
        std::string conninfo, name;
        ~drop_at_exit()
        {
            try { exec(conninfo, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); } catch (...) {}
        }
    } const dropper{base + " dbname=postgres", dbname};
    std::ifstream demo(o.source + "/etc/demo.sql");
    std::stringstream demo_sql;
    demo_sql << demo.rdbuf();
    exec(base + " dbname=" + dbname, demo_sql.str());
    // Every tenth contact belongs to a customer company (the portal user's is one of them);
    // odd ones live in Chicago. Odoo indexes parent_path for prefix searches.
    exec(base + " dbname=" + dbname,
         "INSERT INTO res_partner (id, name, email, company_id, parent_id, parent_path, commercial_partner_id, partner_share)"
         " SELECT 100 + g, 'Contact ' || g, 'c' || g || '@example.com', 1 + g % 2,"
         "        CASE WHEN g % 10 = 0 THEN NULL ELSE 100 + g - g % 10 END,"
         "        CASE WHEN g % 10 = 0 THEN (100 + g) || '/' ELSE (100 + g - g % 10) || '/' || (100 + g) || '/' END,"
         "        100 + g - g % 10, true FROM generate_series(0, " + std::to_string(o.partners - 1) + ") g;"
         "UPDATE res_partner SET parent_id = 100, parent_path = '100/4/', commercial_partner_id = 100 WHERE id = 4;"
         "CREATE INDEX ON res_partner (parent_path varchar_pattern_ops); ANALYZE res_partner;");

    asio::io_context io;
    lp::orm::connection_settings settings;
    settings.host = o.host;
    settings.port = o.port;
    settings.user = o.user;
    lp::orm::database_set databases(io.get_executor(), {dbname}, settings);
    auto& db = *databases.find(dbname);

    std::map<std::string, lp::orm::caller> const callers{
        {"superuser", lp::orm::caller::superuser()},
        {"internal (demo)", lp::orm::caller::user(3)},
        {"portal", lp::orm::caller::user(4)},
    };
    auto call = [&](lp::orm::caller const& who) -> asio::awaitable<std::size_t> {
        lp::orm::model partners(db, "res.partner", clock_type::now() + std::chrono::seconds(30), {}, who);
        json::array const fields{"name", "email"};
        auto rows = co_await partners.search_read(json::array{}, fields, 0, 80, "id");
        co_return rows.size();
    };
    auto run = [&](asio::awaitable<void> work) {
        auto done = asio::co_spawn(io, std::move(work), asio::use_future);
        io.restart();
        io.run();
        done.get();
    };
    std::map<std::string, std::size_t> rows_seen;
    // Warm-up: connections, schemas, rules cached, plans.
    run([&]() -> asio::awaitable<void> {
        for (auto const& [name, who] : callers)
            for (int i = 0; i < 20; ++i)
                rows_seen[name] = co_await call(who);
    }());

    std::map<std::string, std::vector<double>> micros, ratios;
    for (int r = 0; r < o.runs; ++r) {
        std::map<std::string, clock_type::duration> spent;
        run([&]() -> asio::awaitable<void> {
            for (int i = 0; i < o.calls; ++i)
                for (auto const& [name, who] : callers) {
                    auto const start = clock_type::now();
                    co_await call(who);
                    spent[name] += clock_type::now() - start;
                }
        }());
        auto const per_call = [&](std::string const& name) {
            return std::chrono::duration<double, std::micro>(spent[name]).count() / o.calls;
        };
        for (auto const& [name, who] : callers) {
            micros[name].push_back(per_call(name));
            ratios[name].push_back(per_call(name) / per_call("superuser"));
        }
    }
    std::printf("res.partner.search_read([], ['name', 'email'], limit=80) over %d contacts; %d runs of %d calls each\n",
                o.partners + 8, o.runs, o.calls);
    std::printf("%-16s %6s %26s %28s\n", "caller", "rows", "us/call median [min-max]", "x superuser median [min-max]");
    for (auto const& [name, who] : callers) {
        auto const t = summary(micros[name]);
        auto const x = summary(ratios[name]);
        std::printf("%-16s %6zu %10.0f [%6.0f - %6.0f] %12.2f [%5.2f - %5.2f]\n", name.c_str(), rows_seen[name], t.median,
                    t.low, t.high, x.median, x.low, x.high);
    }
    databases.close();
    return 0;
}
catch (std::exception const& e) {
    std::cerr << "lp-acl-bench: " << e.what() << "\n";
    return 1;
}
