#include <duplex/handshake/http_parser.hpp>

#include "support/catch.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace duplex::handshake;

namespace {

const std::string browser_request = "GET /chat?room=1&x=2 HTTP/1.1\r\n"
                                    "Host: server.example.com\r\n"
                                    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101\r\n"
                                    "Accept: */*\r\n"
                                    "Accept-Language: en-US,en;q=0.5\r\n"
                                    "Accept-Encoding: gzip, deflate, br\r\n"
                                    "Sec-WebSocket-Version: 13\r\n"
                                    "Origin: http://example.com\r\n"
                                    "Sec-WebSocket-Protocol: chat\r\n"
                                    "sec-websocket-protocol: superchat\r\n"
                                    "Sec-WebSocket-Extensions: permessage-deflate\r\n"
                                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                    "Connection: keep-alive, Upgrade\r\n"
                                    "Cookie: a=1; b=2\r\n"
                                    "Pragma: no-cache\r\n"
                                    "Cache-Control: no-cache\r\n"
                                    "Upgrade: websocket\r\n"
                                    "\r\n";

// A masked "Hello" the client sent right behind its handshake.
const std::string frame_behind = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";

// Everything observable about a parsed request, to compare chunkings.
struct request_view {
    std::string method, target, path, query, raw;
    int major = 0, minor = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    bool operator==(const request_view& o) const {
        return method == o.method && target == o.target && path == o.path && query == o.query && raw == o.raw &&
               major == o.major && minor == o.minor && headers == o.headers;
    }
};

request_view view_of(const http_request& m) {
    request_view v{std::string(m.method()), std::string(m.target()), std::string(m.path()), std::string(m.query()),
                   std::string(m.raw()),    m.version_major(),       m.version_minor(),     {}};
    for (std::size_t i = 0; i < m.header_count(); ++i)
        v.headers.emplace_back(std::string(m.header_at(i).name), std::string(m.header_at(i).value));
    return v;
}

struct fed {
    parse_result last;
    std::size_t consumed = 0;
};

// Feed `input` cut at `cuts` (increasing offsets), stopping once the parser is done or failed.
template <class Parser>
fed feed_pieces(Parser& p, std::string_view input, const std::vector<std::size_t>& cuts) {
    fed out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
        const std::size_t end = i < cuts.size() ? cuts[i] : input.size();
        out.last = p.feed(input.substr(start, end - start));
        out.consumed += out.last.consumed;
        if (out.last.status != parse_result::need_more) break;
        start = end;
    }
    return out;
}

template <class Parser>
fed feed_bytewise(Parser& p, std::string_view input) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < input.size(); ++i)
        cuts.push_back(i);
    return feed_pieces(p, input, cuts);
}

std::string request_with_headers(std::size_t count, std::size_t value_size = 1) {
    std::string r = "GET / HTTP/1.1\r\n";
    for (std::size_t i = 0; i < count; ++i)
        r += "X-H" + std::to_string(i) + ": " + std::string(value_size, 'v') + "\r\n";
    return r + "\r\n";
}

// A request of exactly `size` bytes, padded in one header value.
std::string request_of_size(std::size_t size) {
    const std::string head = "GET / HTTP/1.1\r\nX-Fill: ";
    const std::string end = "\r\n\r\n";
    return head + std::string(size - head.size() - end.size(), 'a') + end;
}

parse_result parse_request(const std::string& text, http_limits limits = {}) {
    request_parser p(limits);
    return p.feed(text);
}

} // namespace

TEST_CASE("a browser upgrade request is parsed", "[handshake][http]") {
    request_parser p;
    const auto r = p.feed(browser_request);
    REQUIRE(r.status == parse_result::done);
    CHECK(r.consumed == browser_request.size());
    CHECK(r.http_status == 0);
    CHECK(p.done());
    const auto& m = p.get();
    CHECK(m.method() == "GET");
    CHECK(m.target() == "/chat?room=1&x=2");
    CHECK(m.path() == "/chat");
    CHECK(m.query() == "room=1&x=2");
    CHECK(m.version_major() == 1);
    CHECK(m.version_minor() == 1);
    CHECK(m.header_count() == 16);
    CHECK(m.header_at(0).name == "Host");
    CHECK(m.header_at(0).value == "server.example.com");
    CHECK(m.header_at(15).name == "Upgrade");
    CHECK(m.header_at(15).value == "websocket");
    CHECK(m.header("Sec-WebSocket-Key") == std::optional<std::string_view>("dGhlIHNhbXBsZSBub25jZQ=="));
    CHECK(m.header("Cookie") == std::optional<std::string_view>("a=1; b=2"));
    CHECK(m.raw() == browser_request);
}

TEST_CASE("a browser request parses the same in any chunking and leaves the frame behind it", "[handshake][http]") {
    const std::string input = browser_request + frame_behind;
    request_parser reference;
    REQUIRE(reference.feed(browser_request).status == parse_result::done);
    const auto expected = view_of(reference.get());

    SECTION("whole") {
        request_parser p;
        const auto r = p.feed(input);
        REQUIRE(r.status == parse_result::done);
        CHECK(r.consumed == browser_request.size());
        CHECK(input.substr(r.consumed) == frame_behind);
        CHECK(view_of(p.get()) == expected);
    }
    SECTION("byte by byte") {
        request_parser p;
        const auto r = feed_bytewise(p, input);
        REQUIRE(r.last.status == parse_result::done);
        CHECK(r.consumed == browser_request.size());
        CHECK(view_of(p.get()) == expected);
    }
    SECTION("split in two at every offset") {
        for (std::size_t split = 0; split <= input.size(); ++split) {
            INFO("split at " << split);
            request_parser p;
            const auto r = feed_pieces(p, input, {split});
            REQUIRE(r.last.status == parse_result::done);
            CHECK(r.consumed == browser_request.size());
            CHECK(view_of(p.get()) == expected);
        }
    }
    SECTION("in pieces of every size") {
        for (std::size_t piece = 1; piece <= 64; ++piece) {
            INFO("pieces of " << piece);
            std::vector<std::size_t> cuts;
            for (std::size_t at = piece; at < input.size(); at += piece)
                cuts.push_back(at);
            request_parser p;
            const auto r = feed_pieces(p, input, cuts);
            REQUIRE(r.last.status == parse_result::done);
            CHECK(r.consumed == browser_request.size());
            CHECK(view_of(p.get()) == expected);
        }
    }
}

TEST_CASE("a finished parser consumes nothing more", "[handshake][http]") {
    request_parser p;
    REQUIRE(p.feed(browser_request).status == parse_result::done);
    const auto again = p.feed(frame_behind);
    CHECK(again.status == parse_result::done);
    CHECK(again.consumed == 0);
    CHECK(p.get().raw() == browser_request);
}

TEST_CASE("header names are case-insensitive; repeated headers merge", "[handshake][http]") {
    request_parser p;
    REQUIRE(p.feed(browser_request).status == parse_result::done);
    const auto& m = p.get();
    CHECK(m.header("host") == std::optional<std::string_view>("server.example.com"));
    CHECK(m.header("HOST") == std::optional<std::string_view>("server.example.com"));
    CHECK(m.header("sec-websocket-key") == m.header("Sec-WebSocket-Key"));
    CHECK_FALSE(m.header("X-Missing"));
    CHECK_FALSE(m.header("Hos"));
    // header() gives the first; header_list() joins every occurrence with ", " (RFC 7230 3.2.2).
    CHECK(m.header("Sec-WebSocket-Protocol") == std::optional<std::string_view>("chat"));
    CHECK(m.header_list("Sec-WebSocket-Protocol") == "chat, superchat");
    CHECK(m.header_list("SEC-WEBSOCKET-PROTOCOL") == "chat, superchat");
    CHECK(m.header_list("X-Missing").empty());
    CHECK(m.header_count("sec-websocket-protocol") == 2);
    CHECK(m.header_count("Host") == 1);
    CHECK(m.header_count("X-Missing") == 0);
    CHECK(m.header_has_token("connection", "UPGRADE"));
    CHECK(m.header_has_token("Connection", "keep-alive"));
    CHECK_FALSE(m.header_has_token("Connection", "close"));
    CHECK_FALSE(m.header_has_token("X-Missing", "upgrade"));
}

TEST_CASE("header_has_token looks through every occurrence of a header", "[handshake][http]") {
    request_parser p;
    REQUIRE(p.feed("GET / HTTP/1.1\r\nConnection: keep-alive\r\nX: y\r\nconnection: Upgrade\r\n\r\n").status ==
            parse_result::done);
    const auto& m = p.get();
    CHECK(m.header_has_token("Connection", "upgrade"));
    CHECK(m.header_has_token("Connection", "keep-alive"));
    CHECK(m.header_list("Connection") == "keep-alive, Upgrade");
    CHECK(m.header("Connection") == std::optional<std::string_view>("keep-alive"));
}

TEST_CASE("header values: optional whitespace is trimmed, the rest kept", "[handshake][http]") {
    request_parser p;
    REQUIRE(p.feed("GET / HTTP/1.1\r\n"
                   "A:   padded \t \r\n"
                   "B:\r\n"
                   "C: \r\n"
                   "D:tight\r\n"
                   "E: inner  \t space\r\n"
                   "F: caf\xc3\xa9\r\n"
                   "\r\n")
                .status == parse_result::done);
    const auto& m = p.get();
    CHECK(m.header("A") == std::optional<std::string_view>("padded"));
    CHECK(m.header("B") == std::optional<std::string_view>(""));
    CHECK(m.header("C") == std::optional<std::string_view>(""));
    CHECK(m.header("D") == std::optional<std::string_view>("tight"));
    CHECK(m.header("E") == std::optional<std::string_view>("inner  \t space"));
    CHECK(m.header("F") == std::optional<std::string_view>("caf\xc3\xa9")); // obs-text is allowed
    CHECK(m.header_count() == 6);
}

TEST_CASE("path and query of the request target", "[handshake][http]") {
    const std::pair<const char*, std::pair<const char*, const char*>> cases[] = {
        {"/", {"/", ""}},
        {"/chat", {"/chat", ""}},
        {"/chat?", {"/chat", ""}},
        {"/chat?room=1", {"/chat", "room=1"}},
        {"/a/b?c=d?e", {"/a/b", "c=d?e"}},
        {"/%20x?y=%3F", {"/%20x", "y=%3F"}},
        {"*", {"*", ""}},
    };
    for (const auto& [target, expected] : cases) {
        INFO(target);
        request_parser p;
        REQUIRE(p.feed(std::string("GET ") + target + " HTTP/1.1\r\n\r\n").status == parse_result::done);
        CHECK(p.get().target() == target);
        CHECK(p.get().path() == expected.first);
        CHECK(p.get().query() == expected.second);
    }
}

TEST_CASE("the HTTP version is parsed", "[handshake][http]") {
    request_parser p;
    REQUIRE(p.feed("GET / HTTP/1.0\r\n\r\n").status == parse_result::done);
    CHECK(p.get().version_major() == 1);
    CHECK(p.get().version_minor() == 0);
    request_parser q;
    REQUIRE(q.feed("GET / HTTP/2.0\r\n\r\n").status == parse_result::done);
    CHECK(q.get().version_major() == 2);
    CHECK(q.get().version_minor() == 0);
}

TEST_CASE("the number of header fields is limited (431)", "[handshake][http]") {
    SECTION("100 are fine, 101 are not") {
        request_parser ok;
        const auto done = ok.feed(request_with_headers(100));
        REQUIRE(done.status == parse_result::done);
        CHECK(ok.get().header_count() == 100);
        const auto r = parse_request(request_with_headers(101));
        CHECK(r.status == parse_result::error);
        CHECK(r.http_status == 431);
        request_parser bytewise;
        CHECK(feed_bytewise(bytewise, request_with_headers(101)).last.http_status == 431);
    }
    SECTION("2,000 header fields") {
        CHECK(parse_request(request_with_headers(2000)).http_status == 431);
    }
    SECTION("the limit is a setting") {
        http_limits limits;
        limits.max_headers = 3;
        CHECK(parse_request(request_with_headers(3), limits).status == parse_result::done);
        CHECK(parse_request(request_with_headers(4), limits).http_status == 431);
        limits.max_headers = 2000;
        limits.max_header_bytes = 1 << 20;
        CHECK(parse_request(request_with_headers(2000), limits).status == parse_result::done);
    }
}

TEST_CASE("the size of the header block is limited (431)", "[handshake][http]") {
    SECTION("8 KiB including the final CRLF is fine, one byte more is not") {
        const auto exact = request_of_size(8192);
        REQUIRE(exact.size() == 8192);
        CHECK(parse_request(exact).status == parse_result::done);
        const auto over = request_of_size(8193);
        const auto r = parse_request(over);
        CHECK(r.status == parse_result::error);
        CHECK(r.http_status == 431);
        request_parser a, b;
        CHECK(feed_bytewise(a, exact).last.status == parse_result::done);
        CHECK(feed_bytewise(b, over).last.http_status == 431);
    }
    SECTION("the limit holds across feeds") {
        const auto over = request_of_size(8193);
        for (std::size_t split : {1u, 4000u, 8190u, 8192u}) {
            request_parser p;
            CHECK(feed_pieces(p, over, {split}).last.http_status == 431);
        }
    }
    SECTION("64 KiB of headers in one read stop at the limit") {
        request_parser p;
        const auto big = request_with_headers(64, 1024);
        REQUIRE(big.size() > 64 * 1024);
        const auto r = p.feed(big);
        CHECK(r.status == parse_result::error);
        CHECK(r.http_status == 431);
        CHECK(r.consumed < big.size());
        CHECK(p.get().raw().size() <= 8192); // nothing past the limit was buffered
    }
    SECTION("the limit is a setting") {
        http_limits limits;
        limits.max_header_bytes = 100;
        CHECK(parse_request(request_of_size(100), limits).status == parse_result::done);
        CHECK(parse_request(request_of_size(101), limits).http_status == 431);
    }
}

TEST_CASE("the request line is limited (414)", "[handshake][http]") {
    // A request line (without its CRLF) of exactly `length` bytes.
    const auto line_of = [](std::size_t length) { return "GET /" + std::string(length - 14, 'a') + " HTTP/1.1"; };
    REQUIRE(line_of(4096).size() == 4096);
    const auto ok = parse_request(line_of(4096) + "\r\nHost: x\r\n\r\n");
    CHECK(ok.status == parse_result::done);
    const auto r = parse_request(line_of(4097) + "\r\nHost: x\r\n\r\n");
    CHECK(r.status == parse_result::error);
    CHECK(r.http_status == 414);
    CHECK(parse_request("GET /" + std::string(5000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n").http_status == 414);
    request_parser bytewise;
    CHECK(feed_bytewise(bytewise, line_of(4097) + "\r\n\r\n").last.http_status == 414);
    // The line is refused before its end arrives.
    request_parser early;
    CHECK(early.feed(line_of(4097).substr(0, 4097)).http_status == 414);
    http_limits limits;
    limits.max_start_line = 20;
    CHECK(parse_request(line_of(20) + "\r\n\r\n", limits).status == parse_result::done);
    CHECK(parse_request(line_of(21) + "\r\n\r\n", limits).http_status == 414);
}

TEST_CASE("malformed requests answer 400 and stay failed", "[handshake][http]") {
    const std::vector<std::string> bad_requests = {
        "GET / HTTP/1.1\nHost: x\r\n\r\n",                    // bare LF ending the request line
        "GET / HTTP/1.1\r\nHost: x\n\r\n",                    // bare LF ending a header
        "GET / HTTP/1.1\r\nHost: x\r\n\n",                    // bare LF ending the block
        "GET / HTTP/1.1\r\nHost: x\r\n continued\r\n\r\n",    // obsolete line folding
        "GET / HTTP/1.1\r\nHost: x\r\n\tcontinued\r\n\r\n",   //
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",                 // space before the colon
        "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n",                //
        "GET / HTTP/1.1\r\n: x\r\n\r\n",                      // empty name
        "GET / HTTP/1.1\r\nHost x\r\n\r\n",                   // no colon
        "GET / HTTP/1.1\r\nHo(st: x\r\n\r\n",                 // name not a token
        "GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n",                // control characters in a value
        std::string("GET / HTTP/1.1\r\nX: a\0z\r\n\r\n", 26), //
        "GET / HTTP/1.1\r\nX: a\x1bz\r\n\r\n",                //
        "GET / HTTP/1.1\r\nX: a\x7fz\r\n\r\n",                //
        "GET / HTTP/1.1\r\nX: a\rz\r\n\r\n",                  // a CR that ends no line
        "GET / HTTP/1.1\r\r\nHost: x\r\n\r\n",                // in the request line
        "GET /\r HTTP/1.1\r\n\r\n",                           //
        "GET / HTTP/1.1\r\nHost: x\r\r\n\r\n",                // before a line's CRLF
        "GET /\r\n\r\n",                                      // no version
        "GET  / HTTP/1.1\r\n\r\n",                            // double space
        "GET / HTTP/1.x\r\n\r\n",                             // bad version
        "GET / HTTP/11\r\n\r\n",                              //
        "GET / http/1.1\r\n\r\n",                             // the protocol name is case-sensitive
        "GET / HTTP/1.1 \r\n\r\n",                            // trailing space
        "GET / HTTP/1.1 extra\r\n\r\n",                       //
        "GET /a b HTTP/1.1\r\n\r\n",                          // space in the target
        "GET /\x01 HTTP/1.1\r\n\r\n",                         // control character in the target
        " GET / HTTP/1.1\r\n\r\n",                            // leading space
        "G(T / HTTP/1.1\r\n\r\n",                             // method not a token
        "\r\n\r\n",                                           // no request line at all
    };
    for (const auto& bad : bad_requests) {
        INFO(bad);
        request_parser p;
        const auto r = p.feed(bad);
        CHECK(r.status == parse_result::error);
        CHECK(r.http_status == 400);
        CHECK_FALSE(r.reason.empty());
        CHECK_FALSE(p.done());
        const auto again = p.feed("GET / HTTP/1.1\r\n\r\n");
        CHECK(again.status == parse_result::error);
        CHECK(again.http_status == 400);
        // Byte by byte gives the same verdict.
        request_parser q;
        CHECK(feed_bytewise(q, bad).last.http_status == 400);
    }
}

TEST_CASE("a parser can be reset for the next message", "[handshake][http]") {
    request_parser p;
    REQUIRE(p.feed("GET /one HTTP/1.1\r\n\r\n").status == parse_result::done);
    p.reset();
    CHECK_FALSE(p.done());
    REQUIRE(p.feed("GET /two HTTP/1.1\r\nA: b\r\n\r\n").status == parse_result::done);
    CHECK(p.get().target() == "/two");
    CHECK(p.get().header_count() == 1);
    p.reset();
    CHECK(p.feed("GET / HTTP/1.1\nA: b\r\n\r\n").http_status == 400);
    p.reset();
    CHECK(p.feed("GET /three HTTP/1.1\r\n\r\n").status == parse_result::done);
}

TEST_CASE("a released or copied message outlives its parser", "[handshake][http]") {
    std::optional<http_request> copy;
    http_request released;
    {
        request_parser p;
        REQUIRE(p.feed(browser_request).status == parse_result::done);
        copy = p.get();
        released = p.release();
    }
    CHECK(released.target() == "/chat?room=1&x=2");
    CHECK(released.header("Upgrade") == std::optional<std::string_view>("websocket"));
    CHECK(view_of(*copy) == view_of(released));
    http_request moved = std::move(released);
    CHECK(moved.header_list("Sec-WebSocket-Protocol") == "chat, superchat");
}

TEST_CASE("responses are parsed", "[handshake][http]") {
    SECTION("101 Switching Protocols with a frame right behind it") {
        const std::string response = "HTTP/1.1 101 Switching Protocols\r\n"
                                     "Upgrade: websocket\r\n"
                                     "Connection: Upgrade\r\n"
                                     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                     "\r\n";
        const std::string server_frame = "\x81\x05Hello";
        for (std::size_t split = 0; split <= response.size() + server_frame.size(); ++split) {
            INFO("split at " << split);
            response_parser p;
            const auto r = feed_pieces(p, response + server_frame, {split});
            REQUIRE(r.last.status == parse_result::done);
            CHECK(r.consumed == response.size());
            CHECK(p.get().status() == 101);
            CHECK(p.get().reason() == "Switching Protocols");
            CHECK(p.get().version_major() == 1);
            CHECK(p.get().version_minor() == 1);
            CHECK(p.get().header("sec-websocket-accept") ==
                  std::optional<std::string_view>("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
            CHECK(p.get().header_has_token("Connection", "upgrade"));
        }
    }
    SECTION("other statuses") {
        const std::pair<const char*, std::pair<int, const char*>> cases[] = {
            {"HTTP/1.1 200 OK\r\n\r\n", {200, "OK"}},
            {"HTTP/1.1 400 Bad Request\r\n\r\n", {400, "Bad Request"}},
            {"HTTP/1.1 403\r\n\r\n", {403, ""}},
            {"HTTP/1.1 404 \r\n\r\n", {404, ""}},
            {"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n", {426, "Upgrade Required"}},
            {"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n\r\n", {503, "Service Unavailable"}},
            {"HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n", {302, "Found"}},
        };
        for (const auto& [text, expected] : cases) {
            INFO(text);
            response_parser p;
            REQUIRE(p.feed(text).status == parse_result::done);
            CHECK(p.get().status() == expected.first);
            CHECK(p.get().reason() == expected.second);
        }
    }
    SECTION("malformed status lines answer 400") {
        for (const char* bad : {
                 "HTTP/1.1 1O1 Oops\r\n\r\n",
                 "HTTP/1.1 10\r\n\r\n",
                 "HTTP/1.1 1011 x\r\n\r\n",
                 "HTTP/1.1  101 x\r\n\r\n",
                 "HTTP/1.1 101x\r\n\r\n",
                 "HTTX/1.1 101 OK\r\n\r\n",
                 "HTTP/1.1\r\n\r\n",
                 "HTTP/1.1 101 OK\nUpgrade: websocket\r\n\r\n",
                 "HTTP/1.1 101 OK\r\nUpgrade : websocket\r\n\r\n",
                 "HTTP/1.1 101 O\rK\r\n\r\n", // a bare CR
                 "HTTP/1.1 101 OK\r\r\n\r\n",
                 "HTTP/1.1 101 O\x01K\r\n\r\n", // control characters in the reason phrase
                 "HTTP/1.1 101 OK\x7f\r\n\r\n",
             }) {
            INFO(bad);
            response_parser p;
            const auto r = p.feed(bad);
            CHECK(r.status == parse_result::error);
            CHECK(r.http_status == 400);
        }
    }
    SECTION("an overlong status line is 400, not 414") {
        response_parser p;
        const auto r = p.feed("HTTP/1.1 200 " + std::string(5000, 'x') + "\r\n\r\n");
        CHECK(r.status == parse_result::error);
        CHECK(r.http_status == 400);
    }
    SECTION("bare CRs do not stretch the start line past its limit") {
        // Found by the client_handshake fuzzer: CRs were not counted as line
        // content, so a status line of CRs could exceed max_start_line.
        http_limits limits;
        limits.max_start_line = 64;
        response_parser p(limits);
        const auto r = p.feed("HTTP/1.1 101 S" + std::string(100, '\r') + "\r\nA: b\r\n\r\n");
        CHECK(r.status == parse_result::error);
        CHECK(r.http_status == 400);
        CHECK(r.reason == "bare CR in header block");
    }
}

TEST_CASE("header values built to trigger super-linear parsing are parsed in linear time", "[handshake][http]") {
    http_limits limits;
    limits.max_header_bytes = 4 << 20;
    limits.max_headers = 10000;
    std::string long_list;
    while (long_list.size() < 8 * 1024)
        long_list += "token" + std::to_string(long_list.size()) + ", ";
    const std::string request = "GET / HTTP/1.1\r\n"
                                "X-Spaces: a" +
                                std::string(32 * 1024, ' ') +
                                "\r\n"
                                "X-Inner: a" +
                                std::string(32 * 1024, ' ') +
                                "b\r\n"
                                "Connection: " +
                                long_list + "upgrade\r\n" + request_with_headers(5000).substr(16);

    const auto start = std::chrono::steady_clock::now();
    request_parser whole(limits);
    REQUIRE(whole.feed(request).status == parse_result::done);
    const auto& m = whole.get();
    CHECK(m.header("X-Spaces") == std::optional<std::string_view>("a"));
    CHECK(m.header("X-Inner")->size() == 32 * 1024 + 2);
    CHECK(m.header_has_token("X-Spaces", "a"));
    CHECK_FALSE(m.header_has_token("X-Inner", "a"));
    CHECK(m.header_has_token("Connection", "upgrade"));
    CHECK(m.header_count() == 5003);
    // Generous: quadratic work on these inputs would take far longer than this.
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));

    request_parser bytewise(limits);
    const auto r = feed_bytewise(bytewise, request);
    CHECK(r.last.status == parse_result::done);
    CHECK(r.consumed == request.size());
    CHECK(view_of(bytewise.get()) == view_of(m));
}
