#include <duplex/handshake/client_handshake.hpp>

#include "support/catch.hpp"

#include <duplex/handshake/http_parser.hpp>
#include <duplex/handshake/server_handshake.hpp>

#include <string>

using namespace duplex::handshake;

namespace {
http_response parse_response(const std::string& text) {
    response_parser p;
    REQUIRE(p.feed(text).status == parse_result::done);
    return p.release();
}
} // namespace

TEST_CASE("a client request is what a server accepts", "[handshake][client]") {
    client_request_options o;
    o.host = "example.com:8080";
    o.target = "/chat?room=7";
    o.origin = "https://example.com";
    o.subprotocols = {"chat", "superchat"};
    o.extensions = "permessage-deflate; client_max_window_bits";
    o.headers = {{"Cookie", "session=abc"}};
    const auto key = generate_client_key();
    const auto text = build_client_request(o, key);
    request_parser p;
    REQUIRE(p.feed(text).status == parse_result::done);
    const auto& request = p.get();
    const auto check = check_upgrade_request(request);
    CHECK(check);
    CHECK(check.key == key);
    CHECK(request.target() == "/chat?room=7");
    CHECK(request.header("Origin") == std::string_view("https://example.com"));
    CHECK(request.header("Cookie") == std::string_view("session=abc"));
    CHECK(*offered_subprotocols(request) == std::vector<std::string>{"chat", "superchat"});
    CHECK(offered_extensions(request)->size() == 1);
}

TEST_CASE("checking the server's response", "[handshake][client]") {
    const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
    const std::vector<std::string> protocols{"chat"};
    const std::vector<std::string> extensions{"permessage-deflate"};
    SECTION("a correct 101 passes") {
        const auto r = check_upgrade_response(parse_response(build_accept_response(key, "chat", "permessage-deflate")),
                                              key, protocols, extensions);
        CHECK(r);
        CHECK(r.subprotocol == "chat");
        REQUIRE(r.extensions.size() == 1);
    }
    SECTION("other statuses fail and say which") {
        const auto r = check_upgrade_response(parse_response("HTTP/1.1 403 Forbidden\r\n\r\n"), key, protocols, {});
        CHECK_FALSE(r);
        CHECK(r.reason.find("403") != std::string::npos);
    }
    SECTION("a wrong accept key fails") {
        auto text = build_accept_response("AAAAAAAAAAAAAAAAAAAAAA==");
        CHECK_FALSE(check_upgrade_response(parse_response(text), key, protocols, {}));
    }
    SECTION("missing Upgrade or Connection fails") {
        const std::string accept = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
        CHECK_FALSE(check_upgrade_response(
            parse_response("HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n" + accept + "\r\n"), key, protocols, {}));
        CHECK_FALSE(check_upgrade_response(
            parse_response("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n" + accept + "\r\n"), key, protocols, {}));
    }
    SECTION("a subprotocol or extension that was not offered fails") {
        CHECK_FALSE(check_upgrade_response(parse_response(build_accept_response(key, "mqtt")), key, protocols, {}));
        CHECK_FALSE(check_upgrade_response(parse_response(build_accept_response(key, "", "x-unknown")), key, protocols,
                                           extensions));
        CHECK_FALSE(check_upgrade_response(parse_response(build_accept_response(key, "", "permessage-deflate")), key,
                                           protocols, {}));
        CHECK_FALSE(check_upgrade_response(parse_response(build_accept_response(key, "", "permessage-deflate; =")), key,
                                           protocols, extensions));
    }
}
