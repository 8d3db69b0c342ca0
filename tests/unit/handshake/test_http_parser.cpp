#include <duplex/handshake/http_parser.hpp>

#include "support/catch.hpp"

#include <string>

using namespace duplex::handshake;

namespace {
const std::string browser_request = "GET /chat?room=1&x=2 HTTP/1.1\r\n"
                                    "Host: server.example.com\r\n"
                                    "Upgrade: websocket\r\n"
                                    "Connection: keep-alive, Upgrade\r\n"
                                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                    "Origin: http://example.com\r\n"
                                    "Sec-WebSocket-Protocol: chat\r\n"
                                    "sec-websocket-protocol: superchat\r\n"
                                    "Sec-WebSocket-Version: 13\r\n"
                                    "\r\n";

std::string request_with_headers(std::size_t count, std::size_t value_size = 1) {
    std::string r = "GET / HTTP/1.1\r\n";
    for (std::size_t i = 0; i < count; ++i)
        r += "X-H" + std::to_string(i) + ": " + std::string(value_size, 'v') + "\r\n";
    return r + "\r\n";
}

parse_result feed_all(request_parser& p, const std::string& s) {
    return p.feed(s.data(), s.size());
}
} // namespace

TEST_CASE("a browser upgrade request parses the same in any chunking", "[handshake][http]") {
    const std::string frame_behind = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
    const std::string input = browser_request + frame_behind;
    for (std::size_t split = 0; split <= input.size(); ++split) {
        request_parser p;
        auto r = p.feed(input.data(), split);
        std::size_t consumed = r.consumed;
        if (r.status == parse_result::need_more) {
            r = p.feed(input.data() + split, input.size() - split);
            consumed += r.consumed;
        }
        REQUIRE(r.status == parse_result::done);
        CHECK(consumed == browser_request.size()); // the frame behind it is left for the session
        const auto& m = p.get();
        CHECK(m.method() == "GET");
        CHECK(m.target() == "/chat?room=1&x=2");
        CHECK(m.path() == "/chat");
        CHECK(m.query() == "room=1&x=2");
        CHECK(m.version_major() == 1);
        CHECK(m.version_minor() == 1);
        CHECK(m.header("host") == std::string_view("server.example.com"));
        CHECK(m.header_list("Sec-WebSocket-Protocol") == "chat, superchat");
        CHECK(m.header_has_token("connection", "UPGRADE"));
        CHECK(m.header_count() == 8);
    }
    // One byte at a time.
    request_parser p;
    std::size_t consumed = 0;
    parse_result r;
    for (char c : input) {
        r = p.feed(&c, 1);
        consumed += r.consumed;
        if (r.status != parse_result::need_more) break;
    }
    CHECK(r.status == parse_result::done);
    CHECK(consumed == browser_request.size());
}

TEST_CASE("header limits answer 431 and 414", "[handshake][http]") {
    SECTION("100 headers are fine, 101 are not") {
        request_parser ok;
        CHECK(feed_all(ok, request_with_headers(100)).status == parse_result::done);
        request_parser too_many;
        const auto r = feed_all(too_many, request_with_headers(101));
        CHECK(r.status == parse_result::error);
        CHECK(r.http_status == 431);
    }
    SECTION("2,000 headers") {
        request_parser p;
        CHECK(feed_all(p, request_with_headers(2000)).http_status == 431);
    }
    SECTION("8 KiB of header block is the limit") {
        std::string base = "GET / HTTP/1.1\r\nX-Fill: ";
        const std::string end = "\r\n\r\n";
        const std::string exact = base + std::string(8192 - base.size() - end.size(), 'a') + end;
        REQUIRE(exact.size() == 8192);
        request_parser ok;
        CHECK(feed_all(ok, exact).status == parse_result::done);
        const std::string over = base + std::string(8193 - base.size() - end.size(), 'a') + end;
        request_parser bad;
        CHECK(feed_all(bad, over).http_status == 431);
    }
    SECTION("64 KiB of headers in one read stop at the limit") {
        request_parser p;
        const auto big = request_with_headers(50, 1300);
        const auto r = feed_all(p, big);
        CHECK(r.http_status == 431);
        CHECK(p.get().raw().size() <= 8192); // nothing past the limit was buffered
    }
    SECTION("request line too long") {
        request_parser p;
        CHECK(feed_all(p, "GET /" + std::string(5000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n").http_status == 414);
    }
}

TEST_CASE("malformed requests answer 400", "[handshake][http]") {
    for (const std::string bad : {
             "GET / HTTP/1.1\nHost: x\n\n",                     // bare LF
             "GET / HTTP/1.1\r\nHost: x\r\n continued\r\n\r\n", // obsolete folding
             "GET / HTTP/1.1\r\nHost : x\r\n\r\n",              // space before the colon
             "GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n",             // control character
             "GET / HTTP/1.1\r\n: x\r\n\r\n",                   // empty name
             "GET /\r\n\r\n",                                   // no version
             "GET  / HTTP/1.1\r\n\r\n",                         // double space
             "GET / HTTP/1.x\r\n\r\n",                          // bad version
             "G(T / HTTP/1.1\r\n\r\n",                          // method not a token
             "\r\n\r\n",                                        // nothing
         }) {
        request_parser p;
        const auto r = feed_all(p, bad);
        INFO(bad);
        CHECK(r.status == parse_result::error);
        CHECK(r.http_status == 400);
        CHECK(feed_all(p, "more").status == parse_result::error); // stays failed
    }
}

TEST_CASE("responses", "[handshake][http]") {
    response_parser p;
    const std::string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
    REQUIRE(p.feed(response).status == parse_result::done);
    CHECK(p.get().status() == 101);
    CHECK(p.get().reason() == "Switching Protocols");
    response_parser q;
    REQUIRE(q.feed("HTTP/1.1 403\r\n\r\n").status == parse_result::done);
    CHECK(q.get().status() == 403);
    response_parser bad;
    CHECK(bad.feed("HTTP/1.1 1O1 Oops\r\n\r\n").http_status == 400);
}
