#include <duplex/handshake/server_handshake.hpp>

#include "support/catch.hpp"

#include <duplex/handshake/http_parser.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace duplex::handshake;

namespace {

const std::string rfc_key = "dGhlIHNhbXBsZSBub25jZQ==";
const std::string rfc_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

struct request_builder {
    std::string method = "GET", version = "HTTP/1.1";
    std::vector<std::string> lines = {"Host: server.example.com", "Upgrade: websocket", "Connection: Upgrade",
                                      "Sec-WebSocket-Key: " + rfc_key, "Sec-WebSocket-Version: 13"};
    request_builder& without(const std::string& name) {
        std::vector<std::string> kept;
        for (auto& l : lines)
            if (l.rfind(name + ":", 0) != 0) kept.push_back(l);
        lines = kept;
        return *this;
    }
    request_builder& with(const std::string& line) {
        lines.push_back(line);
        return *this;
    }
    request_builder& replace(const std::string& name, const std::string& value) {
        return without(name).with(name + ": " + value);
    }
    std::string text() const {
        std::string t = method + " /chat " + version + "\r\n";
        for (auto& l : lines)
            t += l + "\r\n";
        return t + "\r\n";
    }
    http_request parse() const {
        request_parser p;
        const auto r = p.feed(text());
        REQUIRE(r.status == parse_result::done);
        return p.release();
    }
};

http_response parse_response(const std::string& text) {
    response_parser p;
    const auto r = p.feed(text);
    REQUIRE(r.status == parse_result::done);
    REQUIRE(r.consumed == text.find("\r\n\r\n") + 4);
    return p.release();
}

// The status and reason check_upgrade_request gives for this request.
struct outcome {
    int status;
    std::string reason;
};
outcome check(const request_builder& b) {
    const auto request = b.parse();
    const auto c = check_upgrade_request(request);
    return {c.status, std::string(c.reason)};
}

} // namespace

TEST_CASE("a valid upgrade request is accepted", "[handshake][server]") {
    const auto request = request_builder{}.parse(); // the check's key is a view into it
    const auto c = check_upgrade_request(request);
    CHECK(c);
    CHECK(c.status == 0);
    CHECK(c.key == rfc_key);
    CHECK(c.reason.empty());
    CHECK(is_upgrade_request(request));
}

TEST_CASE("upgrade requests are accepted in the forms browsers and proxies send", "[handshake][server]") {
    SECTION("lowercase header names and mixed-case values") {
        request_builder b;
        b.lines = {"host: example.com", "upgrade: WebSocket", "connection: upgrade", "sec-websocket-key: " + rfc_key,
                   "sec-websocket-version: 13"};
        const auto request = b.parse();
        const auto c = check_upgrade_request(request);
        CHECK(c);
        CHECK(c.key == rfc_key);
    }
    SECTION("mixed-case header names") {
        request_builder b;
        b.lines = {"HOST: example.com", "UpGrAdE: websocket", "CONNECTION: UPGRADE", "SEC-WEBSOCKET-KEY: " + rfc_key,
                   "Sec-Websocket-Version: 13"};
        CHECK(check(b).status == 0);
    }
    SECTION("Firefox's Connection: keep-alive, Upgrade") {
        CHECK(check(request_builder{}.replace("Connection", "keep-alive, Upgrade")).status == 0);
    }
    SECTION("Connection split over two header lines") {
        CHECK(check(request_builder{}.without("Connection").with("Connection: keep-alive").with("Connection: Upgrade"))
                  .status == 0);
    }
    SECTION("websocket among several Upgrade protocols") {
        CHECK(check(request_builder{}.replace("Upgrade", "h2c, websocket")).status == 0);
    }
    SECTION("extra headers, subprotocols and extensions do not matter") {
        CHECK(check(request_builder{}
                        .with("Origin: http://example.com")
                        .with("Sec-WebSocket-Protocol: chat")
                        .with("Sec-WebSocket-Extensions: permessage-deflate")
                        .with("Cookie: a=b"))
                  .status == 0);
    }
}

TEST_CASE("each invalid upgrade request has its status", "[handshake][server]") {
    const auto expect = [](const request_builder& b, int status) {
        const auto o = check(b);
        INFO(b.text());
        CHECK(o.status == status);
        CHECK_FALSE(o.reason.empty());
        const auto request = b.parse();
        CHECK_FALSE(check_upgrade_request(request));
        CHECK(check_upgrade_request(request).key.empty());
    };
    SECTION("not GET: 405") {
        for (const char* method : {"POST", "HEAD", "PUT", "OPTIONS", "get"}) {
            request_builder b;
            b.method = method;
            expect(b, 405);
        }
    }
    SECTION("HTTP/1.0: 505") {
        request_builder b;
        b.version = "HTTP/1.0";
        expect(b, 505);
        b.version = "HTTP/0.9";
        expect(b, 505);
    }
    SECTION("missing Host: 400") {
        expect(request_builder{}.without("Host"), 400);
    }
    SECTION("duplicate Host: 400") {
        expect(request_builder{}.with("Host: other.example.com"), 400);
    }
    SECTION("missing Upgrade: 400") {
        expect(request_builder{}.without("Upgrade"), 400);
    }
    SECTION("Upgrade not naming websocket: 400") {
        expect(request_builder{}.replace("Upgrade", "h2c"), 400);
        expect(request_builder{}.replace("Upgrade", "websocket2"), 400);
        expect(request_builder{}.replace("Upgrade", ""), 400);
    }
    SECTION("Connection without upgrade: 400") {
        expect(request_builder{}.without("Connection"), 400);
        expect(request_builder{}.replace("Connection", "keep-alive"), 400);
        expect(request_builder{}.replace("Connection", "upgrade-insecure-requests"), 400);
    }
    SECTION("missing or other version: 426") {
        expect(request_builder{}.without("Sec-WebSocket-Version"), 426);
        expect(request_builder{}.replace("Sec-WebSocket-Version", "8"), 426);
        expect(request_builder{}.replace("Sec-WebSocket-Version", "12"), 426);
        expect(request_builder{}.replace("Sec-WebSocket-Version", "14"), 426);
        expect(request_builder{}.replace("Sec-WebSocket-Version", "13, 8"), 426);
        expect(request_builder{}.with("Sec-WebSocket-Version: 8"), 426); // two versions
    }
    SECTION("missing key: 400") {
        expect(request_builder{}.without("Sec-WebSocket-Key"), 400);
    }
    SECTION("a key that is not 16 bytes: 400") {
        expect(request_builder{}.replace("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25j"), 400);     // 15 bytes
        expect(request_builder{}.replace("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZXg="), 400); // 17 bytes
        expect(request_builder{}.replace("Sec-WebSocket-Key", ""), 400);
    }
    SECTION("a key that is not base64: 400") {
        expect(request_builder{}.replace("Sec-WebSocket-Key", "not base64 at all!!!!!!!"), 400);
        expect(request_builder{}.replace("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ"), 400);
    }
    SECTION("duplicate key: 400") {
        expect(request_builder{}.with("Sec-WebSocket-Key: " + rfc_key), 400);
    }
}

TEST_CASE("several problems: the first in RFC 6455 4.2.1 order decides", "[handshake][server]") {
    request_builder b;
    b.method = "POST";
    b.without("Host").without("Sec-WebSocket-Key");
    CHECK(check(b).status == 405);
    CHECK(check(request_builder{}.without("Host").without("Sec-WebSocket-Version")).status == 400);
    CHECK(check(request_builder{}.without("Sec-WebSocket-Version").without("Sec-WebSocket-Key")).status == 426);
}

TEST_CASE("is_upgrade_request tells WebSocket from plain HTTP", "[handshake][server]") {
    CHECK(is_upgrade_request(request_builder{}.parse()));
    CHECK(is_upgrade_request(request_builder{}.replace("Upgrade", "WebSocket").parse()));
    CHECK_FALSE(is_upgrade_request(request_builder{}.without("Upgrade").parse()));
    CHECK_FALSE(is_upgrade_request(request_builder{}.replace("Upgrade", "h2c").parse()));
    request_builder plain;
    plain.lines = {"Host: example.com", "Accept: text/html"};
    CHECK_FALSE(is_upgrade_request(plain.parse()));
}

TEST_CASE("offered subprotocols and selection", "[handshake][server]") {
    SECTION("one header, or several merged, in the client's order") {
        const auto one =
            offered_subprotocols(request_builder{}.with("Sec-WebSocket-Protocol: chat, superchat").parse());
        REQUIRE(one);
        CHECK(*one == std::vector<std::string>{"chat", "superchat"});
        const auto two = offered_subprotocols(request_builder{}
                                                  .with("Sec-WebSocket-Protocol: chat")
                                                  .with("sec-websocket-protocol: superchat, v2")
                                                  .parse());
        REQUIRE(two);
        CHECK(*two == std::vector<std::string>{"chat", "superchat", "v2"});
    }
    SECTION("none offered") {
        const auto none = offered_subprotocols(request_builder{}.parse());
        REQUIRE(none);
        CHECK(none->empty());
    }
    SECTION("a malformed list") {
        CHECK_FALSE(offered_subprotocols(request_builder{}.with("Sec-WebSocket-Protocol: chat, super chat").parse()));
    }
    SECTION("the server's preference wins; names are case-sensitive") {
        const std::vector<std::string> offered{"chat", "superchat"};
        CHECK(select_subprotocol(offered, {"superchat", "chat"}) == "superchat");
        CHECK(select_subprotocol(offered, {"chat", "superchat"}) == "chat");
        CHECK(select_subprotocol(offered, {"mqtt", "chat"}) == "chat");
        CHECK(select_subprotocol(offered, {"mqtt"}).empty());
        CHECK(select_subprotocol(offered, {"CHAT"}).empty());
        CHECK(select_subprotocol(offered, {}).empty());
        CHECK(select_subprotocol({}, {"chat"}).empty());
    }
}

TEST_CASE("offered extensions", "[handshake][server]") {
    const auto offers =
        offered_extensions(request_builder{}
                               .with("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
                               .with("Sec-WebSocket-Extensions: x-webkit-deflate-frame")
                               .parse());
    REQUIRE(offers);
    REQUIRE(offers->size() == 2);
    CHECK((*offers)[0].name == "permessage-deflate");
    CHECK((*offers)[0].find("client_max_window_bits") != nullptr);
    CHECK((*offers)[1].name == "x-webkit-deflate-frame");
    const auto none = offered_extensions(request_builder{}.parse());
    REQUIRE(none);
    CHECK(none->empty());
    CHECK_FALSE(offered_extensions(request_builder{}.with("Sec-WebSocket-Extensions: a b").parse()));
}

TEST_CASE("the 101 response", "[handshake][server]") {
    SECTION("with the RFC key, a subprotocol, extensions and an extra header") {
        const auto text = build_accept_response(rfc_key, "chat", "permessage-deflate; server_no_context_takeover",
                                                {{"X-Extra", "1"}});
        CHECK(text.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
        CHECK(text.find("\r\nSec-WebSocket-Accept: " + rfc_accept + "\r\n") != std::string::npos);
        CHECK(text.find("\r\nSec-WebSocket-Protocol: chat\r\n") != std::string::npos);
        CHECK(text.substr(text.size() - 4) == "\r\n\r\n");
        const auto response = parse_response(text);
        CHECK(response.status() == 101);
        CHECK(response.header_has_token("Upgrade", "websocket"));
        CHECK(response.header_has_token("Connection", "upgrade"));
        CHECK(response.header("Sec-WebSocket-Accept") == std::optional<std::string_view>(rfc_accept));
        CHECK(response.header("Sec-WebSocket-Protocol") == std::optional<std::string_view>("chat"));
        CHECK(response.header("Sec-WebSocket-Extensions") ==
              std::optional<std::string_view>("permessage-deflate; server_no_context_takeover"));
        CHECK(response.header("X-Extra") == std::optional<std::string_view>("1"));
        CHECK(response.header_count() == 6);
    }
    SECTION("without a subprotocol or extensions those headers are absent") {
        const auto response = parse_response(build_accept_response(rfc_key));
        CHECK(response.status() == 101);
        CHECK(response.header("Sec-WebSocket-Accept") == std::optional<std::string_view>(rfc_accept));
        CHECK_FALSE(response.header("Sec-WebSocket-Protocol"));
        CHECK_FALSE(response.header("Sec-WebSocket-Extensions"));
        CHECK(response.header_count() == 3);
    }
    SECTION("the accept key answers the request's key") {
        const std::string key = "x3JJHMbDL1EzLkh9GBhXDw==";
        const auto request = request_builder{}.replace("Sec-WebSocket-Key", key).parse();
        const auto c = check_upgrade_request(request);
        REQUIRE(c);
        const auto response = parse_response(build_accept_response(c.key));
        CHECK(response.header("Sec-WebSocket-Accept") ==
              std::optional<std::string_view>("HSmrc0sMlYUkAGmm5OPpG2HaGWk="));
    }
}

TEST_CASE("status reasons", "[handshake][server]") {
    CHECK(status_reason(101) == "Switching Protocols");
    CHECK(status_reason(400) == "Bad Request");
    CHECK(status_reason(405) == "Method Not Allowed");
    CHECK(status_reason(414) == "URI Too Long");
    CHECK(status_reason(426) == "Upgrade Required");
    CHECK(status_reason(431) == "Request Header Fields Too Large");
    CHECK(status_reason(505) == "HTTP Version Not Supported");
    CHECK(status_reason(299) == "Unknown");
}

TEST_CASE("plain HTTP responses", "[handshake][server]") {
    SECTION("status line, Content-Type, Content-Length, Connection: close and the body") {
        const auto text = build_http_response(404, "not here", "text/plain");
        CHECK(text.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
        CHECK(text.substr(text.size() - 12) == "\r\n\r\nnot here");
        const auto response = parse_response(text);
        CHECK(response.status() == 404);
        CHECK(response.reason() == "Not Found");
        CHECK(response.header("Content-Type") == std::optional<std::string_view>("text/plain"));
        CHECK(response.header("Content-Length") == std::optional<std::string_view>("8"));
        CHECK(response.header("Connection") == std::optional<std::string_view>("close"));
    }
    SECTION("keep-alive and no content type") {
        const auto response = parse_response(build_http_response(204, "", "", {}, true));
        CHECK(response.status() == 204);
        CHECK_FALSE(response.header("Connection"));
        CHECK_FALSE(response.header("Content-Type"));
        CHECK(response.header("Content-Length") == std::optional<std::string_view>("0"));
    }
}

TEST_CASE("reject responses", "[handshake][server]") {
    SECTION("426 names the version this server speaks (RFC 6455 4.4)") {
        const auto text = build_reject_response(426, "upgrade to version 13");
        CHECK(text.rfind("HTTP/1.1 426 Upgrade Required\r\n", 0) == 0);
        CHECK(text.find("\r\nSec-WebSocket-Version: 13\r\n") != std::string::npos);
        const auto response = parse_response(text);
        CHECK(response.status() == 426);
        CHECK(response.header("Sec-WebSocket-Version") == std::optional<std::string_view>("13"));
        CHECK(text.substr(text.size() - 22) == "upgrade to version 13\n");
        CHECK(response.header("Content-Length") == std::optional<std::string_view>("22"));
    }
    SECTION("other statuses do not") {
        for (int status : {400, 405, 431, 505}) {
            const auto response = parse_response(build_reject_response(status, "no"));
            CHECK(response.status() == status);
            CHECK_FALSE(response.header("Sec-WebSocket-Version"));
        }
    }
    SECTION("the status and reason of a failed check make the response") {
        const auto request = request_builder{}.without("Host").parse();
        const auto c = check_upgrade_request(request);
        REQUIRE_FALSE(c);
        const auto text = build_reject_response(c.status, c.reason, {{"Retry-After", "1"}});
        const auto response = parse_response(text);
        CHECK(response.status() == 400);
        CHECK(response.header("Retry-After") == std::optional<std::string_view>("1"));
        CHECK(text.find(std::string(c.reason)) != std::string::npos);
    }
}

TEST_CASE("response builders refuse header injection", "[handshake][server]") {
    const header_fields evil = {
        {"X-CRLF", "a\r\nSet-Cookie: injected=1"},
        {"X-LF", "a\nSet-Cookie: injected=2"},
        {"X-CR", "a\rSet-Cookie: injected=3"},
        {"X-NUL", std::string("a\0b", 3)},
        {"X-DEL", "a\x7f"},
        {"Bad Name", "v"},
        {"Bad:Name", "v"},
        {"Bad\r\nSet-Cookie: injected=4\r\nX", "v"},
        {"", "v"},
        {"X-Tab", "a\tb"}, // a tab is allowed in a value
        {"X-Good", "fine"},
    };
    const auto check_clean = [](const std::string& text, std::size_t expected_headers) {
        INFO(text);
        CHECK(text.find("injected") == std::string::npos);
        CHECK(text.find("Bad") == std::string::npos);
        CHECK(text.find("X-CRLF") == std::string::npos);
        CHECK(text.find("X-LF") == std::string::npos);
        CHECK(text.find("X-CR:") == std::string::npos);
        CHECK(text.find("X-NUL") == std::string::npos);
        CHECK(text.find("X-DEL") == std::string::npos);
        const auto response = parse_response(text);
        CHECK(response.header("X-Good") == std::optional<std::string_view>("fine"));
        CHECK(response.header("X-Tab") == std::optional<std::string_view>("a\tb"));
        CHECK_FALSE(response.header("Set-Cookie"));
        CHECK(response.header_count() == expected_headers);
    };
    SECTION("build_http_response") {
        check_clean(build_http_response(200, "ok", "text/plain", evil), 5);
        const auto text = build_http_response(200, "ok", "text/html\r\nSet-Cookie: injected=5");
        CHECK(text.find("injected") == std::string::npos);
        CHECK_FALSE(parse_response(text).header("Content-Type"));
    }
    SECTION("build_reject_response") {
        check_clean(build_reject_response(426, "no", evil), 6);
    }
    SECTION("build_accept_response") {
        check_clean(build_accept_response(rfc_key, "", "", evil), 5);
        const auto text = build_accept_response(rfc_key, "chat\r\nSet-Cookie: injected=6",
                                                "permessage-deflate\r\nSet-Cookie: injected=7");
        CHECK(text.find("injected") == std::string::npos);
        const auto response = parse_response(text);
        CHECK_FALSE(response.header("Sec-WebSocket-Protocol"));
        CHECK_FALSE(response.header("Sec-WebSocket-Extensions"));
    }
}

TEST_CASE("is_safe_header_value allows visible characters, space and tab", "[handshake][server]") {
    for (int c = 0; c < 256; ++c) {
        const std::string value(1, static_cast<char>(c));
        const bool expected = c == '\t' || (c >= 0x20 && c != 0x7F);
        INFO("character " << c);
        CHECK(is_safe_header_value(value) == expected);
    }
    CHECK(is_safe_header_value(""));
}
