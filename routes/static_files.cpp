// The browser clients (client/: bus.js, longpolling.js, socketio.js, the demo page), served under
// <longpolling_path>/static/ so that one proxy rule covers them with the routes; and the official
// socket.io-client that socketio.js loads, installed by npm in client/ (scripts/setup), served
// from its dist/ folder only as static/socket.io-client/<file>.
#include "routes/route.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace {

std::string content_type_of(std::filesystem::path const& file)
{
    static std::map<std::string, std::string> const types{
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},   {".json", "application/json"},
        {".svg", "image/svg+xml"},             {".png", "image/png"},
        {".txt", "text/plain; charset=utf-8"}, {".map", "application/json"}};
    auto it = types.find(file.extension().string());
    return it == types.end() ? "application/octet-stream" : it->second;
}

boost::asio::awaitable<lp::http_reply> static_file(lp::request& request)
{
    auto const name = request.param<std::string>("file");
    std::filesystem::path const relative(name);
    // Only plain names below the directory: no absolute paths, no "..", no hidden files.
    for (auto const& part : relative)
        if (part.empty() || part.string().front() == '.' || part == "..")
            throw lp::not_found("no such file: " + name);
    auto const& root = request.services().static_dir;
    if (root.empty() || relative.is_absolute())
        throw lp::not_found("no such file: " + name);
    // npm's folder is not served as it is: only socket.io-client's dist/, under its own name.
    auto const npm_package = std::filesystem::path("socket.io-client");
    auto const top = relative.empty() ? std::filesystem::path() : *relative.begin();
    if (top == "node_modules")
        throw lp::not_found("no such file: " + name);
    auto const path = top == npm_package
                          ? root / "node_modules" / npm_package / "dist" / relative.lexically_relative(npm_package)
                          : root / relative;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec) || std::filesystem::file_size(path, ec) > (4u << 20))
        throw lp::not_found("no such file: " + name);
    // Small local files: read directly (page-cache reads, not network I/O).
    std::ifstream in(path, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    co_return lp::http_reply(body.str(), 200, content_type_of(path));
}
LONGPOLLING_ADD_ROUTE(static_file, "/static/<path:file>", lp::mode::http, lp::public_route);

} // namespace
