#include <duplex/handshake/client_handshake.hpp>

#include "support/catch.hpp"

#include <duplex/handshake/http_parser.hpp>
#include <duplex/handshake/server_handshake.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace duplex::handshake;

namespace {

const std::string rfc_key = "dGhlIHNhbXBsZSBub25jZQ==";
const std::string rfc_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

using strings = std::vector<std::string>;

http_request parse_request(const std::string& text) {
    request_parser p;
    const auto r = p.feed(text);
    REQUIRE(r.status == parse_result::done);
    REQUIRE(r.consumed == text.size());
    return p.release();
}

http_response parse_response(const std::string& text) {
    response_parser p;
    const auto r = p.feed(text);
    REQUIRE(r.status == parse_result::done);
    return p.release();
}

// A 101 response assembled by hand, for the cases build_accept_response cannot make.
std::string response_101(const std::vector<std::string>& lines) {
    std::string text = "HTTP/1.1 101 Switching Protocols\r\n";
    for (const auto& l : lines)
        text += l + "\r\n";
    return text + "\r\n";
}

response_check check(const std::string& response_text, const strings& protocols = {}, const strings& extensions = {}) {
    return check_upgrade_response(parse_response(response_text), rfc_key, protocols, extensions);
}

} // namespace

TEST_CASE("a client request is what a server accepts", "[handshake][client]") {
    client_request_options o;
    o.host = "example.com:8080";
    o.target = "/chat?room=7";
    o.origin = "https://example.com";
    o.subprotocols = {"chat", "superchat"};
    o.extensions = "permessage-deflate; client_max_window_bits";
    o.headers = {{"Cookie", "session=abc"}, {"Authorization", "Bearer t0k3n"}};
    const auto key = generate_client_key();
    const auto text = build_client_request(o, key);
    CHECK(text.rfind("GET /chat?room=7 HTTP/1.1\r\n", 0) == 0);
    CHECK(text.substr(text.size() - 4) == "\r\n\r\n");

    const auto request = parse_request(text);
    const auto c = check_upgrade_request(request);
    CHECK(c);
    CHECK(c.key == key);
    CHECK(request.method() == "GET");
    CHECK(request.target() == "/chat?room=7");
    CHECK(request.path() == "/chat");
    CHECK(request.query() == "room=7");
    CHECK(request.header("Host") == std::optional<std::string_view>("example.com:8080"));
    CHECK(request.header("Origin") == std::optional<std::string_view>("https://example.com"));
    CHECK(request.header("Sec-WebSocket-Version") == std::optional<std::string_view>("13"));
    CHECK(request.header("Cookie") == std::optional<std::string_view>("session=abc"));
    CHECK(request.header("Authorization") == std::optional<std::string_view>("Bearer t0k3n"));
    CHECK(is_upgrade_request(request));
    const auto protocols = offered_subprotocols(request);
    REQUIRE(protocols);
    CHECK(*protocols == strings{"chat", "superchat"});
    const auto extensions = offered_extensions(request);
    REQUIRE(extensions);
    REQUIRE(extensions->size() == 1);
    CHECK((*extensions)[0].name == "permessage-deflate");
    CHECK((*extensions)[0].find("client_max_window_bits") != nullptr);
}

TEST_CASE("a minimal client request", "[handshake][client]") {
    client_request_options o;
    o.host = "localhost";
    o.target = "";
    const auto text = build_client_request(o, rfc_key);
    CHECK(text.rfind("GET / HTTP/1.1\r\n", 0) == 0);
    const auto request = parse_request(text);
    CHECK(check_upgrade_request(request));
    CHECK_FALSE(request.header("Origin"));
    CHECK_FALSE(request.header("Sec-WebSocket-Protocol"));
    CHECK_FALSE(request.header("Sec-WebSocket-Extensions"));
    CHECK(request.header_count() == 5); // Host, Upgrade, Connection, Version, Key
}

TEST_CASE("subprotocols that are not tokens are left out of the request", "[handshake][client]") {
    client_request_options o;
    o.host = "localhost";
    o.subprotocols = {"chat", "bad name", "", "v2.chat", "a,b"};
    const auto request = parse_request(build_client_request(o, rfc_key));
    CHECK(request.header("Sec-WebSocket-Protocol") == std::optional<std::string_view>("chat, v2.chat"));
    // With none left there is no header at all: an empty one is malformed (1#token).
    o.subprotocols = {"bad name", "x\r\ny"};
    const auto bare = parse_request(build_client_request(o, rfc_key));
    CHECK_FALSE(bare.header("Sec-WebSocket-Protocol"));
    CHECK(check_upgrade_request(bare));
}

TEST_CASE("a client request cannot be split by what the user passes in", "[handshake][client]") {
    client_request_options o;
    o.host = "example.com";
    o.origin = "https://example.com\r\nX-Injected: origin";
    o.extensions = "permessage-deflate\r\nX-Injected: extensions";
    o.headers = {{"X-Ok", "1"}, {"X-Evil", "a\r\nX-Injected: value"}, {"X-Injected: name\r\nX", "v"}};
    SECTION("header values and names") {
        const auto text = build_client_request(o, rfc_key);
        CHECK(text.find("X-Injected") == std::string::npos);
        const auto request = parse_request(text);
        CHECK(check_upgrade_request(request));
        CHECK(request.header("X-Ok") == std::optional<std::string_view>("1"));
        CHECK_FALSE(request.header("Origin"));
        CHECK_FALSE(request.header("Sec-WebSocket-Extensions"));
        CHECK_FALSE(request.header("X-Evil"));
    }
    SECTION("the request target") {
        o.target = "/a b\r\nX-Injected: target\r\n\r\nGET /\t\x7f";
        const auto text = build_client_request(o, rfc_key);
        CHECK(text.find("\nX-Injected") == std::string::npos);
        const auto request = parse_request(text);
        CHECK(check_upgrade_request(request));
        CHECK_FALSE(request.header("X-Injected"));
        CHECK(request.target() == "/a%20b%0D%0AX-Injected:%20target%0D%0A%0D%0AGET%20/%09%7F");
        CHECK(request.header_count() == 6); // the five of the handshake and X-Ok
    }
    SECTION("the host") {
        o.host = "example.com\r\nX-Injected: host";
        const auto text = build_client_request(o, rfc_key);
        CHECK(text.find("X-Injected") == std::string::npos);
        CHECK_FALSE(parse_request(text).header("Host"));
    }
}

TEST_CASE("a full handshake: client request, server answer, client check", "[handshake][client]") {
    client_request_options o;
    o.host = "example.com";
    o.target = "/ws";
    o.subprotocols = {"v1.chat", "v2.chat"};
    o.extensions = "permessage-deflate; client_max_window_bits";
    const auto key = generate_client_key();
    const auto request = parse_request(build_client_request(o, key));
    const auto c = check_upgrade_request(request);
    REQUIRE(c);
    const auto offered = offered_subprotocols(request);
    REQUIRE(offered);
    const auto chosen = select_subprotocol(*offered, {"v2.chat"});
    REQUIRE(chosen == "v2.chat");
    const auto response_text = build_accept_response(
        c.key, chosen, "permessage-deflate; server_no_context_takeover; client_max_window_bits=10");
    const auto result =
        check_upgrade_response(parse_response(response_text), key, o.subprotocols, {"permessage-deflate"});
    REQUIRE(result);
    CHECK(result.ok);
    CHECK(result.reason.empty());
    CHECK(result.subprotocol == "v2.chat");
    REQUIRE(result.extensions.size() == 1);
    CHECK(result.extensions[0].name == "permessage-deflate");
    CHECK(result.extensions[0].find("server_no_context_takeover") != nullptr);
    REQUIRE(result.extensions[0].find("client_max_window_bits") != nullptr);
    CHECK(result.extensions[0].find("client_max_window_bits")->value == "10");
}

TEST_CASE("checking the server's response: what passes", "[handshake][client]") {
    SECTION("the RFC example with nothing negotiated") {
        const auto r = check(build_accept_response(rfc_key), {"chat"}, {"permessage-deflate"});
        CHECK(r);
        CHECK(r.subprotocol.empty()); // the server may choose none of the offered protocols
        CHECK(r.extensions.empty());
    }
    SECTION("mixed-case names and values, Connection as a list") {
        const auto r = check(response_101({"upgrade: WebSocket", "CONNECTION: keep-alive, Upgrade",
                                           "sec-websocket-accept: " + rfc_accept, "SEC-WEBSOCKET-PROTOCOL: chat"}),
                             {"chat"});
        CHECK(r);
        CHECK(r.subprotocol == "chat");
    }
    SECTION("extension names compare case-insensitively") {
        const auto r = check(build_accept_response(rfc_key, "", "Permessage-Deflate"), {}, {"permessage-deflate"});
        CHECK(r);
        REQUIRE(r.extensions.size() == 1);
    }
}

TEST_CASE("checking the server's response: what fails", "[handshake][client]") {
    const strings protocols{"chat"};
    const strings extensions{"permessage-deflate"};
    const auto expect_failure = [](const response_check& r) {
        CHECK_FALSE(r);
        CHECK_FALSE(r.ok);
        CHECK_FALSE(r.reason.empty());
    };
    SECTION("any status but 101, named in the reason") {
        for (const char* status_line :
             {"HTTP/1.1 200 OK", "HTTP/1.1 301 Moved Permanently", "HTTP/1.1 400 Bad Request", "HTTP/1.1 403 Forbidden",
              "HTTP/1.1 426 Upgrade Required", "HTTP/1.1 503 Service Unavailable"}) {
            INFO(status_line);
            const auto r = check(std::string(status_line) +
                                     "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                     "Sec-WebSocket-Accept: " +
                                     rfc_accept + "\r\n\r\n",
                                 protocols);
            expect_failure(r);
            CHECK(r.reason.find(std::string(status_line).substr(9, 3)) != std::string::npos);
        }
    }
    SECTION("a wrong or missing accept key") {
        expect_failure(check(build_accept_response("AAAAAAAAAAAAAAAAAAAAAA==")));
        expect_failure(check(response_101({"Upgrade: websocket", "Connection: Upgrade"})));
        expect_failure(check(response_101({"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: "})));
        expect_failure(
            check(response_101({"Upgrade: websocket", "Connection: Upgrade",
                                "Sec-WebSocket-Accept: S3PPLMBITXAQ9KYGZZHZRBK+XOO="}))); // base64 is case-sensitive
        expect_failure(check(response_101(
            {"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: " + rfc_key}))); // the key echoed back
    }
    SECTION("missing or wrong Upgrade") {
        const std::string accept = "Sec-WebSocket-Accept: " + rfc_accept;
        expect_failure(check(response_101({"Connection: Upgrade", accept})));
        expect_failure(check(response_101({"Upgrade: h2c", "Connection: Upgrade", accept})));
    }
    SECTION("missing or wrong Connection") {
        const std::string accept = "Sec-WebSocket-Accept: " + rfc_accept;
        expect_failure(check(response_101({"Upgrade: websocket", accept})));
        expect_failure(check(response_101({"Upgrade: websocket", "Connection: keep-alive", accept})));
    }
    SECTION("a subprotocol that was not offered") {
        expect_failure(check(build_accept_response(rfc_key, "mqtt"), protocols));
        expect_failure(check(build_accept_response(rfc_key, "CHAT"), protocols)); // names are case-sensitive
        expect_failure(check(build_accept_response(rfc_key, "chat"), {}));        // none offered
        const auto r = check(build_accept_response(rfc_key, "mqtt"), protocols);
        CHECK(r.reason.find("mqtt") != std::string::npos);
    }
    SECTION("two Sec-WebSocket-Protocol headers") {
        expect_failure(
            check(response_101({"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: " + rfc_accept,
                                "Sec-WebSocket-Protocol: chat", "Sec-WebSocket-Protocol: chat"}),
                  protocols));
    }
    SECTION("an extension that was not offered") {
        expect_failure(check(build_accept_response(rfc_key, "", "x-unknown"), protocols, extensions));
        expect_failure(check(build_accept_response(rfc_key, "", "permessage-deflate"), protocols, {}));
        expect_failure(
            check(build_accept_response(rfc_key, "", "permessage-deflate, x-unknown"), protocols, extensions));
        const auto r = check(build_accept_response(rfc_key, "", "x-unknown"), protocols, extensions);
        CHECK(r.reason.find("x-unknown") != std::string::npos);
    }
    SECTION("malformed extensions") {
        for (const char* bad : {"permessage-deflate; =", "permessage-deflate;", "permessage-deflate x",
                                "permessage-deflate; a=\"b c\"", ";"}) {
            INFO(bad);
            expect_failure(check(build_accept_response(rfc_key, "", bad), protocols, extensions));
        }
    }
}
