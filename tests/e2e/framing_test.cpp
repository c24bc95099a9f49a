// Strict HTTP/1.1 framing (RFC 9112, section 6), as raw bytes: every request whose end a proxy
// and this server could see differently is refused with one 400 (501 for a transfer coding
// under chunked) and the connection closed; chunk lines and trailers count like a header.
#include "tests/support/http_client.hpp"
#include "tests/support/raw_exchange.hpp"
#include "tests/support/server_process.hpp"

#include <boost/test/unit_test.hpp>

using lp::test::raw_exchange;
using lp::test::server_process;

namespace {
struct shared_server {
    static server_process& get()
    {
        static server_process server;
        return server;
    }
};

std::string post_health(std::string const& headers, std::string const& body)
{
    return "POST /longpolling/health HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n" + body;
}
} // namespace

BOOST_AUTO_TEST_SUITE(framing)

BOOST_AUTO_TEST_CASE(the_smuggling_example_gets_one_400_and_nothing_more)
{
    auto const r = raw_exchange(shared_server::get().port(),
                                "POST /longpolling/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
                                "GET /openerplongpolling/mainroute?x=SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n");
    BOOST_TEST(r.status() == 400u);
    BOOST_TEST(r.responses() == 1u, "got: " << r.received);
    BOOST_TEST(r.received.find("SMUGGLED") == std::string::npos);
    BOOST_TEST(r.closed);
}

BOOST_AUTO_TEST_CASE(ambiguous_lengths_get_400_and_the_connection_closed)
{
    auto const port = shared_server::get().port();
    std::string const next = "GET /longpolling/health HTTP/1.1\r\nHost: x\r\n\r\n"; // must not be answered
    struct refused_case {
        std::string headers;
        std::string body;
        unsigned status;
    };
    std::vector<refused_case> const cases{
        {"Transfer-Encoding: chunked, identity\r\n", "0\r\n\r\n", 400},
        {"Transfer-Encoding: xchunked\r\n", "0\r\n\r\n", 400},
        {"Transfer-Encoding: gzip\r\n", "", 400},
        {"Transfer-Encoding: identity\r\n", "", 400},
        {"Transfer-Encoding: gzip\r\nContent-Length: 5\r\n", "hello", 400},
        {"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n", 400},
        {"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", 400},
        {"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", 400},
        {"Transfer-Encoding: chunked, chunked\r\n", "0\r\n\r\n", 400},
        {"Transfer-Encoding: chunked;q=1\r\n", "0\r\n\r\n", 400},
        {"Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n", 501},
        {"Content-Length: 2\r\nContent-Length: 2\r\n", "{}", 400},
        {"Content-Length: 2, 2\r\n", "{}", 400},
        {"Content-Length: 2\r\nContent-Length: 7\r\n", "{}", 400},
        {"Content-Length: +2\r\n", "{}", 400},
        {"Content-Length: 0x2\r\n", "{}", 400},
        {"Content-Length: 99999999999999999999\r\n", "{}", 400},
        {"Transfer-Encoding : chunked\r\n", "0\r\n\r\n", 400}, // white space before the colon
        {"Content-Length : 2\r\n", "{}", 400},
        {"Transfer-Encoding: chunked\r\n", "2\r\n{}\r\n0\r\nContent-Length: 50\r\n\r\n", 400}, // framing in a trailer
    };
    for (auto const& c : cases) {
        auto const r = raw_exchange(port, post_health(c.headers, c.body) + next);
        BOOST_TEST(r.status() == c.status, "for " << c.headers << "got: " << r.received);
        BOOST_TEST(r.responses() == 1u, "for " << c.headers << "got: " << r.received);
        BOOST_TEST(r.closed, "for " << c.headers);
    }
    // HTTP/1.0 has no chunked coding: a Transfer-Encoding there is a framing error.
    auto const old = raw_exchange(port, "POST /longpolling/health HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    BOOST_TEST(old.status() == 400u);
    BOOST_TEST(old.closed);
}

BOOST_AUTO_TEST_CASE(well_framed_requests_are_still_served)
{
    auto const port = shared_server::get().port();
    // Chunked (any case), with a small trailer, then a pipelined request: two answers.
    auto const chunked = raw_exchange(port, post_health("Transfer-Encoding: Chunked\r\n", "2\r\n{}\r\n0\r\nX-T: 1\r\n\r\n")
                                                + "GET /longpolling/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    BOOST_TEST(chunked.status() == 200u, chunked.received);
    BOOST_TEST(chunked.responses() == 2u, chunked.received);
    auto const length = raw_exchange(port, post_health("Content-Length: 2\r\nConnection: close\r\n", "{}"));
    BOOST_TEST(length.status() == 200u, length.received);
}

BOOST_AUTO_TEST_CASE(chunk_trailers_count_in_the_header_limit)
{
    auto const port = shared_server::get().port(); // http_header_limit 8 KiB
    for (std::size_t size : {std::size_t(30'000), std::size_t(2'000'000)}) {
        std::string trailer;
        while (trailer.size() < size)
            trailer += "X-Trailer-" + std::to_string(trailer.size()) + ": " + std::string(80, 't') + "\r\n";
        auto const r = raw_exchange(port, post_health("Transfer-Encoding: chunked\r\n", "2\r\n{}\r\n0\r\n" + trailer + "\r\n"));
        BOOST_TEST(r.status() == 431u, "trailer of " << size << " bytes; got: " << r.received.substr(0, 200));
        BOOST_TEST(r.responses() == 1u);
        BOOST_TEST(r.closed);
    }
    // A chunk-size line made long with extensions is held to the same limit.
    auto const extension = raw_exchange(port, post_health("Transfer-Encoding: chunked\r\n",
                                                          "2;" + std::string(20'000, 'e') + "\r\n{}\r\n0\r\n\r\n"));
    BOOST_TEST(extension.status() == 431u, extension.received.substr(0, 200));
    // A chunked body larger than the header limit is not affected (its data is not buffered).
    std::string body;
    for (int i = 0; i < 20; ++i)
        body += "3e8\r\n" + std::string(1000, ' ') + "\r\n"; // 20 chunks of 1000 spaces
    auto const large = raw_exchange(port, post_health("Transfer-Encoding: chunked\r\nConnection: close\r\n", body + "0\r\n\r\n"));
    BOOST_TEST(large.status() == 200u, large.received.substr(0, 200));
}

BOOST_AUTO_TEST_CASE(obsolete_line_folding_is_joined_and_bare_line_feeds_refused)
{
    // README ("Limits"): an obs-fold (a header line continued on the next) is joined with a
    // space, as RFC 9112 5.2 allows, so a folded Transfer-Encoding is no longer one coding and
    // is refused; a bare LF as line end is a 400.
    auto const port = shared_server::get().port();
    auto const folded = raw_exchange(port, "GET /longpolling/health HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n"
                                           "Connection: close\r\n\r\n");
    BOOST_TEST(folded.status() == 200u, folded.received);
    auto const folded_coding = raw_exchange(port, post_health("Transfer-Encoding: gzip\r\n chunked\r\n", "0\r\n\r\n"));
    BOOST_TEST(folded_coding.status() == 400u, folded_coding.received);
    BOOST_TEST(folded_coding.responses() == 1u);
    BOOST_TEST(folded_coding.closed);
    auto const bare = raw_exchange(port, "GET /longpolling/health HTTP/1.1\nHost: x\n\n");
    BOOST_TEST(bare.status() == 400u, bare.received);
    BOOST_TEST(bare.closed);
    auto const bare_in_header = raw_exchange(port, "GET /longpolling/health HTTP/1.1\r\nHost: x\nX-B: 1\r\n\r\n");
    BOOST_TEST(bare_in_header.status() == 400u, bare_in_header.received);
}

BOOST_AUTO_TEST_SUITE_END()
