#include "server/config.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <fstream>
#include <vector>

namespace {

lp::server_config parse(std::vector<std::string> args)
{
    std::vector<char const*> argv{"longpolling-server"};
    for (auto const& a : args)
        argv.push_back(a.c_str());
    return lp::parse_command_line(static_cast<int>(argv.size()), argv.data());
}

std::string error_of(std::vector<std::string> args)
{
    try {
        parse(std::move(args));
    }
    catch (lp::config_error const& e) {
        return e.what();
    }
    return "accepted";
}

/// A config file in the temp directory, removed at the end of the test.
struct config_file {
    std::string path;
    explicit config_file(std::string const& text)
    {
        char name[] = "/tmp/lp-config-XXXXXX";
        int fd = mkstemp(name);
        BOOST_REQUIRE(fd >= 0);
        close(fd);
        path = name;
        std::ofstream(path) << text;
    }
    ~config_file() { std::remove(path.c_str()); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(defaults_are_the_seeds)
{
    auto c = parse({});
    BOOST_TEST(c.interface == "127.0.0.1");
    BOOST_TEST(c.port == 8068);
    BOOST_TEST(c.max_cursor == 2u);
    BOOST_TEST(c.longpolling_path == "/openerplongpolling");
    BOOST_TEST(c.longpolling_timeout.count() == 60);
    BOOST_TEST(c.header_limit == 8192u);
    BOOST_TEST(c.body_limit == 1048576u);
    BOOST_TEST(c.databases.empty());
}

BOOST_AUTO_TEST_CASE(seed_flags)
{
    auto c = parse({"-d", "db1,db2", "-d", "db3", "-i", "0.0.0.0", "-p", "9000", "--max-cursor", "5"});
    BOOST_TEST((c.databases == std::vector<std::string>{"db1", "db2", "db3"}));
    BOOST_TEST(c.interface == "0.0.0.0");
    BOOST_TEST(c.port == 9000);
    BOOST_TEST(c.max_cursor == 5u);
    auto eq = parse({"--max-cursor=7", "--port=0", "--interface=::1", "--longpolling-timeout=5"});
    BOOST_TEST(eq.max_cursor == 7u);
    BOOST_TEST(eq.port == 0);
    BOOST_TEST(eq.interface == "::1");
    BOOST_TEST(eq.longpolling_timeout.count() == 5);
    BOOST_TEST(parse({"-i", "localhost"}).interface == "127.0.0.1");
    BOOST_TEST(parse({"--help"}).show_help);
}

BOOST_AUTO_TEST_CASE(bad_flags_and_values_name_the_problem)
{
    BOOST_TEST(error_of({"--nope"}) == "unknown option '--nope' (see --help)");
    BOOST_TEST(error_of({"-p"}) == "option '-p' needs a value");
    BOOST_TEST(error_of({"-p", "http"}) == "option --port: 'http' is not a whole number from 0 to 65535");
    BOOST_TEST(error_of({"-p", "70000"}) == "option --port: '70000' is not a whole number from 0 to 65535");
    BOOST_TEST(error_of({"--max-cursor", "0"}) == "option --max-cursor: '0' is not a whole number from 1 to 1000");
    BOOST_TEST(error_of({"-i", "example.com"})
               == "option --interface: 'example.com' is not an IP address (host names are not resolved)");
    BOOST_TEST(error_of({"--longpolling-path", "lp"}) == "option --longpolling-path: 'lp' must start with '/'");
    BOOST_TEST(error_of({"--log-level", "loud"}).starts_with("option --log-level: unknown log level 'loud'"));
    BOOST_TEST(error_of({"-c", "/nonexistent/odoo.conf"}) == "cannot read config file '/nonexistent/odoo.conf'");
}

BOOST_AUTO_TEST_CASE(reads_an_odoo_config_file_and_flags_override_it)
{
    config_file file(
        "; Odoo's own file\n"
        "[options]\n"
        "addons_path = /opt/odoo/addons\n"
        "admin_passwd = secret\n"
        "db_host = False\n"
        "db_port = 5433\n"
        "db_user = odoo\n"
        "db_password = False\n"
        "db_name = prod, test\n"
        "longpolling_path = /otherpath\n"
        "longpolling_timeout = 30\n"
        "max_cursor = 4\n"
        "longpolling_port = 8072\n"
        "data_dir = /var/lib/odoo\n"
        "[other]\n"
        "longpolling_timeout = not-read\n");
    auto c = parse({"-c", file.path});
    BOOST_TEST((c.databases == std::vector<std::string>{"prod", "test"}));
    BOOST_TEST(c.db_host == "");
    BOOST_TEST(c.db_port == "5433");
    BOOST_TEST(c.db_user == "odoo");
    BOOST_TEST(c.longpolling_path == "/otherpath");
    BOOST_TEST(c.longpolling_timeout.count() == 30);
    BOOST_TEST(c.max_cursor == 4u);
    BOOST_TEST(c.port == 8072);
    BOOST_TEST(c.data_dir == "/var/lib/odoo");
    BOOST_TEST((c.ignored_keys == std::vector<std::string>{"addons_path", "admin_passwd"}));

    auto overridden = parse({"-c", file.path, "-d", "other", "-p", "8068", "--max-cursor", "1"});
    BOOST_TEST((overridden.databases == std::vector<std::string>{"other"}));
    BOOST_TEST(overridden.port == 8068);
    BOOST_TEST(overridden.max_cursor == 1u);
    BOOST_TEST(overridden.longpolling_timeout.count() == 30);
}

BOOST_AUTO_TEST_CASE(web_longpolling_port_wins_over_odoos)
{
    config_file file("[options]\ngevent_port = 8072\nlongpolling_server_port = 8099\n");
    BOOST_TEST(parse({"-c", file.path}).port == 8099);
    config_file gevent("[options]\ngevent_port = 8073\n");
    BOOST_TEST(parse({"-c", gevent.path}).port == 8073);
}

BOOST_AUTO_TEST_CASE(bad_files_name_file_line_and_key)
{
    config_file garbage("[options]\nthis line has no separator\n");
    BOOST_TEST(error_of({"-c", garbage.path}) == garbage.path + ":2: expected 'key = value'");
    config_file bad_value("[options]\nlongpolling_timeout = soon\n");
    BOOST_TEST(error_of({"-c", bad_value.path})
               == bad_value.path + ": longpolling_timeout: 'soon' is not a whole number from 1 to 86400");
    config_file bad_section("[options\n");
    BOOST_TEST(error_of({"-c", bad_section.path}) == bad_section.path + ":1: malformed section header");
}

BOOST_AUTO_TEST_CASE(the_example_file_in_etc_is_valid)
{
    auto c = parse({"-c", std::string(LP_SOURCE_DIR) + "/etc/longpolling.conf"});
    BOOST_TEST(c.longpolling_path == "/openerplongpolling");
    BOOST_TEST(c.longpolling_timeout.count() == 60);
    BOOST_TEST(c.websocket_keep_alive_timeout.count() == 3600);
}

BOOST_AUTO_TEST_CASE(websocket_settings)
{
    auto const defaults = parse({});
    BOOST_TEST(defaults.websocket_max_message == 1048576u);
    BOOST_TEST(defaults.websocket_max_queued == 4194304u);
    BOOST_TEST(defaults.websocket_inactivity_timeout.count() == 45);
    BOOST_TEST(defaults.websocket_pong_timeout.count() == 15);
    BOOST_TEST(defaults.websocket_keep_alive_timeout.count() == 3600);
    config_file file("[options]\nwebsocket_max_message = 4096\nwebsocket_keep_alive_timeout = 60\n");
    auto const c = parse({"-c", file.path, "--websocket-inactivity-timeout", "1", "--websocket-pong-timeout=2",
                          "--websocket-max-queued", "65536"});
    BOOST_TEST(c.websocket_max_message == 4096u);
    BOOST_TEST(c.websocket_keep_alive_timeout.count() == 60);
    BOOST_TEST(c.websocket_inactivity_timeout.count() == 1);
    BOOST_TEST(c.websocket_pong_timeout.count() == 2);
    BOOST_TEST(c.websocket_max_queued == 65536u);
    BOOST_TEST(error_of({"--websocket-max-message", "100"})
               == "option --websocket-max-message: '100' is not a whole number from 125 to 1073741824");
    BOOST_TEST(error_of({"--websocket-pong-timeout", "0"}) != "accepted");
}

BOOST_AUTO_TEST_CASE(odoo_websocket_settings)
{
    auto const defaults = parse({});
    BOOST_TEST(defaults.websocket_rate_limit_burst == 10u);
    BOOST_TEST(defaults.websocket_rate_limit_delay.count() == 200);
    config_file file("[options]\nwebsocket_rate_limit_burst = 20\nwebsocket_rate_limit_delay = 0.05\nodoo_version = 18.0\n");
    auto const c = parse({"-c", file.path});
    BOOST_TEST(c.websocket_rate_limit_burst == 20u);
    BOOST_TEST(c.websocket_rate_limit_delay.count() == 50);
    BOOST_TEST(c.odoo_version == 18);
    BOOST_TEST(error_of({"--websocket-rate-limit-delay", "fast"})
               == "option --websocket-rate-limit-delay: expected seconds from 0 to 86400, got 'fast'");
    BOOST_TEST(error_of({"--odoo-version", "19"}) != "accepted");
}

BOOST_AUTO_TEST_SUITE_END()
