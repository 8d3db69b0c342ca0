#include <duplex/handshake/server_handshake.hpp>

#include "support/catch.hpp"

#include <duplex/handshake/http_parser.hpp>

#include <string>
#include <vector>

using namespace duplex::handshake;

namespace {
struct request_builder {
    std::string method = "GET", version = "HTTP/1.1";
    std::vector<std::string> lines = {"Host: example.com", "Upgrade: websocket", "Connection: Upgrade",
                                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"};
    request_builder& without(const std::string& prefix) {
        std::vector<std::string> kept;
        for (auto& l : lines)
            if (l.rfind(prefix, 0) != 0) kept.push_back(l);
        lines = kept;
        return *this;
    }
    request_builder& with(const std::string& line) {
        lines.push_back(line);
        return *this;
    }
    http_request parse() const {
        std::string text = method + " /chat " + version + "\r\n";
        for (auto& l : lines)
            text += l + "\r\n";
        text += "\r\n";
        request_parser p;
        REQUIRE(p.feed(text).status == parse_result::done);
        return p.release();
    }
};
int status_of(const request_builder& b) {
    return check_upgrade_request(b.parse()).status;
}
} // namespace

TEST_CASE("a valid upgrade request is accepted", "[handshake][server]") {
    const auto request = request_builder{}.parse(); // the check's key is a view into it
    const auto check = check_upgrade_request(request);
    CHECK(check);
    CHECK(check.key == "dGhlIHNhbXBsZSBub25jZQ==");
    request_builder mixed;
    mixed.lines = {"host: example.com", "UPGRADE: WebSocket", "connection: keep-alive, upgrade",
                   "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version: 13"};
    CHECK(check_upgrade_request(mixed.parse()));
    CHECK(is_upgrade_request(mixed.parse()));
}

TEST_CASE("each invalid upgrade request has its status", "[handshake][server]") {
    request_builder post;
    post.method = "POST";
    CHECK(status_of(post) == 405);
    request_builder old;
    old.version = "HTTP/1.0";
    CHECK(status_of(old) == 505);
    CHECK(status_of(request_builder{}.without("Host")) == 400);
    CHECK(status_of(request_builder{}.with("Host: other.com")) == 400);
    CHECK(status_of(request_builder{}.without("Upgrade")) == 400);
    CHECK(status_of(request_builder{}.without("Upgrade").with("Upgrade: h2c")) == 400);
    CHECK(status_of(request_builder{}.without("Connection").with("Connection: keep-alive")) == 400);
    CHECK(status_of(request_builder{}.without("Sec-WebSocket-Version")) == 426);
    CHECK(status_of(request_builder{}.without("Sec-WebSocket-Version").with("Sec-WebSocket-Version: 8")) == 426);
    CHECK(status_of(request_builder{}.without("Sec-WebSocket-Key")) == 400);
    CHECK(status_of(request_builder{}.without("Sec-WebSocket-Key").with("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j")) ==
          400); // 15 bytes
    CHECK(
        status_of(request_builder{}.without("Sec-WebSocket-Key").with("Sec-WebSocket-Key: not base64 at all!!!!!!")) ==
        400);
    CHECK(status_of(request_builder{}.with("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==")) == 400); // duplicate
    const auto reject = build_reject_response(426, "upgrade to version 13");
    CHECK(reject.find("HTTP/1.1 426 Upgrade Required\r\n") == 0);
    CHECK(reject.find("\r\nSec-WebSocket-Version: 13\r\n") != std::string::npos);
}

TEST_CASE("subprotocols and the 101 response", "[handshake][server]") {
    const auto request = request_builder{}.with("Sec-WebSocket-Protocol: chat, superchat").parse();
    const auto offered = offered_subprotocols(request);
    REQUIRE(offered);
    CHECK(select_subprotocol(*offered, {"superchat", "chat"}) == "superchat");
    CHECK(select_subprotocol(*offered, {"mqtt"}).empty());
    const auto response = build_accept_response("dGhlIHNhbXBsZSBub25jZQ==", "chat", "", {{"X-Extra", "1"}});
    CHECK(response.find("HTTP/1.1 101 Switching Protocols\r\n") == 0);
    CHECK(response.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
    CHECK(response.find("Sec-WebSocket-Protocol: chat\r\n") != std::string::npos);
    CHECK(response.find("X-Extra: 1\r\n") != std::string::npos);
    CHECK(response.substr(response.size() - 4) == "\r\n\r\n");
}

TEST_CASE("response builders refuse header injection", "[handshake][server]") {
    const auto response =
        build_http_response(200, "ok", "text/plain", {{"X-Evil", "a\r\nSet-Cookie: x=1"}, {"Bad Name", "v"}});
    CHECK(response.find("Set-Cookie") == std::string::npos);
    CHECK(response.find("Bad Name") == std::string::npos);
    CHECK(response.find("Content-Length: 2\r\n") != std::string::npos);
}
