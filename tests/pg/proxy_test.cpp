// etc/nginx-longpolling.conf and etc/apache-longpolling.conf, as shipped, in front of the built
// server: Debian's nginx and apache2 run as private instances on free loopback ports (their
// own prefix, pid and logs), a stand-in Odoo (python3 -m http.server) takes "/", and a long
// poll goes through each proxy, waits, and gets the notification Odoo's SQL sends, and a
// WebSocket session with the example echo endpoint goes through each proxy and back.
#include "tests/support/bus_client.hpp"
#include "tests/support/odoo_server.hpp"
#include "tests/support/websocket_client.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

namespace json = boost::json;
using lp::test::child_process;
using lp::test::http_request;

namespace {

/// `text` with every `from` replaced by `to`; fails the test when there is none.
std::string replaced(std::string text, std::string const& from, std::string const& to)
{
    BOOST_REQUIRE_MESSAGE(text.find(from) != std::string::npos, "'" << from << "' not in the configuration");
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

void write_file(std::filesystem::path const& path, std::string const& text) { std::ofstream(path) << text; }

/// Waits until something accepts connections on `port` (5 s at most).
bool accepting(std::uint16_t port)
{
    for (int i = 0; i < 250; ++i) {
        try {
            lp::test::http_connection probe(port);
            return true;
        }
        catch (std::exception const&) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    return false;
}

struct fixture : lp::test::odoo_server_fixture {
    fixture() : odoo_server_fixture("lp_proxy")
    {
        std::filesystem::create_directories(odoo_root.path() / "web");
        write_file(odoo_root.path() / "web" / "login", "the Odoo stand-in\n");
        odoo = std::make_unique<child_process>(std::vector<std::string>{
            "/usr/bin/python3", "-m", "http.server", std::to_string(odoo_port), "--bind", "127.0.0.1", "--directory",
            odoo_root.path().string()});
        BOOST_REQUIRE_MESSAGE(accepting(odoo_port), "the Odoo stand-in did not start: " << odoo->log());
    }

    /// A configuration file of etc/ with its ports replaced by this test's.
    std::string site(std::string const& file, std::string const& listen_from, std::string const& listen_to)
    {
        std::ifstream in(lp::test::env_or_fail("LP_SOURCE_DIR") + "/etc/" + file);
        std::stringstream text;
        text << in.rdbuf();
        auto out = replaced(text.str(), "127.0.0.1:8068", "127.0.0.1:" + std::to_string(server.port()));
        out = replaced(out, "127.0.0.1:8069", "127.0.0.1:" + std::to_string(odoo_port));
        return replaced(out, listen_from, listen_to);
    }

    /// The same checks through any proxy on `port`.
    void check_dispatch(std::uint16_t port)
    {
        auto const odoo_page = http_request(port, "GET", "/web/login");
        BOOST_TEST(odoo_page.status == 200u);
        BOOST_TEST(odoo_page.body == "the Odoo stand-in\n");

        // longpolling_path goes to the server.
        auto const stats = http_request(port, "GET", "/openerplongpolling/stats");
        BOOST_TEST(stats.status == 200u);
        BOOST_TEST(stats.body.find(R"("databases")") != std::string::npos);

        // Odoo's /websocket reaches the server too (which serves nothing there yet: its 404,
        // not Odoo's), with the client's upgrade request passed on.
        auto const upgrade = http_request(port, "GET", "/websocket", "",
                                          "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
        BOOST_TEST(upgrade.status == 404u);
        BOOST_TEST(upgrade.body.find("nothing is served at") != std::string::npos, upgrade.body);
        // Socket.IO's path serves both transports: a polling handshake, and a WebSocket one
        // whose first message is the open packet.
        auto const polling = http_request(port, "GET", "/socket.io/?EIO=4&transport=polling");
        BOOST_TEST(polling.status == 200u);
        BOOST_TEST(polling.body.starts_with(R"(0{"sid":")"), polling.body);
        lp::test::websocket_client socketio(port, "/socket.io/?EIO=4&transport=websocket");
        BOOST_TEST(socketio.handshake().status == 101u);
        auto const open = socketio.read_frame();
        BOOST_REQUIRE_MESSAGE(open.has_value(), "no open packet");
        BOOST_TEST(open->payload.starts_with(R"(0{"sid":")"), open->payload);

        // A long poll: it waits in the server, behind the proxy, until Odoo's SQL sends.
        auto poll = lp::test::start_poll(port, lp::test::poll_body(R"(["proxied"])", 0));
        lp::test::wait_parked(server.port(), db.name(), 1);
        lp::test::odoo15_send(db, "proxied", R"({"type":"t","payload":"through"})");
        auto const answer = poll.read_response();
        BOOST_REQUIRE_MESSAGE(answer.status == 200u, answer.status << ": " << answer.body);
        auto const rows = json::parse(answer.body).at("result").as_array();
        BOOST_REQUIRE_EQUAL(rows.size(), 1u);
        BOOST_TEST(rows[0].at("message").at("payload").as_string() == "through");

        check_websocket(port);
    }

    /// A WebSocket session through the proxy with the example echo endpoint: the upgrade, a
    /// masked text frame echoed unmasked, and the close handshake ended by the server.
    void check_websocket(std::uint16_t port)
    {
        lp::test::websocket_client client(port, "/openerplongpolling/ws/echo");
        BOOST_TEST(client.handshake().status == 101u);
        BOOST_TEST(client.handshake().header("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        client.send_text("through the proxy, and back");
        auto const echoed = client.read_frame();
        BOOST_REQUIRE_MESSAGE(echoed.has_value(), "no echo");
        BOOST_TEST((echoed->op == lp::ws::opcode::text));
        BOOST_TEST(echoed->payload == "through the proxy, and back");
        client.send(lp::ws::opcode::close, lp::ws::close_payload(lp::ws::close_code::normal, "done"));
        auto const close = client.read_frame();
        BOOST_REQUIRE_MESSAGE(close.has_value(), "no close frame");
        BOOST_TEST((close->op == lp::ws::opcode::close));
        BOOST_TEST(close->close_code() == lp::ws::close_code::normal);
        BOOST_TEST(client.closed_by_peer());
    }

    lp::test::server_process server = start({"--stats", "True", "--examples", "True"});
    lp::test::temp_directory odoo_root;
    std::uint16_t odoo_port = lp::test::free_local_port();
    std::unique_ptr<child_process> odoo;
    lp::test::temp_directory prefix; ///< the proxy's configuration, pid file, logs and temp files
    std::uint16_t proxy_port = lp::test::free_local_port();
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(proxy, fixture)

BOOST_AUTO_TEST_CASE(nginx_sends_long_polls_to_the_server_and_the_rest_to_odoo)
{
    auto const dir = prefix.path().string();
    write_file(prefix.path() / "site.conf",
               site("nginx-longpolling.conf", "listen 80;", "listen 127.0.0.1:" + std::to_string(proxy_port) + ";"));
    // One process, in the foreground: the test can stop it with its child.
    write_file(prefix.path() / "nginx.conf",
               "daemon off;\nmaster_process off;\npid " + dir + "/nginx.pid;\nerror_log " + dir + "/error.log info;\n"
               "events { worker_connections 64; }\n"
               "http {\n  access_log " + dir + "/access.log;\n"
               "  client_body_temp_path " + dir + "/body;\n  proxy_temp_path " + dir + "/proxy;\n"
               "  fastcgi_temp_path " + dir + "/fastcgi;\n  uwsgi_temp_path " + dir + "/uwsgi;\n"
               "  scgi_temp_path " + dir + "/scgi;\n  include " + dir + "/site.conf;\n}\n");
    child_process nginx({"/usr/sbin/nginx", "-p", dir, "-e", dir + "/error.log", "-c", dir + "/nginx.conf"});
    BOOST_REQUIRE_MESSAGE(accepting(proxy_port), "nginx did not start: " << nginx.log()
                                                     << lp::test::read_file(dir + "/error.log"));
    check_dispatch(proxy_port);
}

BOOST_AUTO_TEST_CASE(apache_sends_long_polls_to_the_server_and_the_rest_to_odoo)
{
    auto const dir = prefix.path().string();
    auto const listen = "127.0.0.1:" + std::to_string(proxy_port);
    write_file(prefix.path() / "site.conf", site("apache-longpolling.conf", "<VirtualHost *:80>", "<VirtualHost " + listen + ">"));
    std::string modules;
    for (auto const* m : {"mpm_event", "authz_core", "headers", "proxy", "proxy_http", "proxy_wstunnel"})
        modules += std::string("LoadModule ") + m + "_module /usr/lib/apache2/modules/mod_" + m + ".so\n";
    write_file(prefix.path() / "httpd.conf",
               modules + "ServerRoot " + dir + "\nDefaultRuntimeDir " + dir + "\nPidFile " + dir + "/httpd.pid\n"
               "ErrorLog " + dir + "/error.log\nLogLevel warn\nServerName localhost\nListen " + listen + "\n"
               + (geteuid() == 0 ? "User nobody\nGroup nogroup\n" : "") + "Include " + dir + "/site.conf\n");
    // -X: one process in the foreground, stopped with the test.
    child_process apache({"/usr/sbin/apache2", "-X", "-d", dir, "-f", dir + "/httpd.conf"});
    BOOST_REQUIRE_MESSAGE(accepting(proxy_port), "apache2 did not start: " << apache.log()
                                                     << lp::test::read_file(dir + "/error.log"));
    check_dispatch(proxy_port);
}

BOOST_AUTO_TEST_SUITE_END()
