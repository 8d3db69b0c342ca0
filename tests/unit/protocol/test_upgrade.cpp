#include <duplex/protocol/upgrade.hpp>

#include <duplex/protocol/connection.hpp>

#include "support/catch.hpp"
#include "support/wire.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

using duplex::protocol::client_connection;
using duplex::protocol::client_upgrade;
using duplex::protocol::server_connection;
using duplex::protocol::server_upgrade;
using duplex::protocol::upgrade_state;

namespace {

// RFC 6455 1.3's example request.
std::string sample_request(std::string extra = {}) {
    return "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
           extra + "\r\n";
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

// A toy extension: claims RSV1, sends payloads unchanged.
class identity_extension final : public duplex::protocol::extension {
public:
    std::uint8_t rsv_bits() const noexcept override { return 0x40; }
    decode_status decode(const std::uint8_t* data, std::size_t size, bool, std::size_t,
                         duplex::protocol::byte_sink& out) override {
        out.write(data, size);
        return decode_status::ok;
    }
    std::uint8_t encode(const std::uint8_t* data, std::size_t size, std::string& out) override {
        out.assign(reinterpret_cast<const char*>(data), size);
        return 0x40;
    }
};

duplex::protocol::extension_negotiator accept_x_identity() {
    return [](const std::vector<duplex::handshake::extension_offer>& offers,
              std::string& header) -> std::shared_ptr<duplex::protocol::extension> {
        for (const auto& o : offers)
            if (o.name == "x-identity") {
                header = "x-identity";
                return std::make_shared<identity_extension>();
            }
        return nullptr;
    };
}

} // namespace

TEST_CASE("server_upgrade accepts RFC 6455's sample request fed byte by byte", "[protocol][upgrade]") {
    server_upgrade up;
    const auto request = sample_request() + duplex_test::client_frame(0x1, "first");
    for (const char c : request)
        up.feed(&c, 1);
    REQUIRE(up.state() == upgrade_state::request_ready);
    CHECK(up.is_upgrade());
    REQUIRE(up.request() != nullptr);
    CHECK(up.request()->target() == "/chat");
    CHECK(up.output().empty());
    up.accept();
    CHECK(up.state() == upgrade_state::open);
    const std::string response(up.output());
    CHECK(starts_with(response, "HTTP/1.1 101 Switching Protocols\r\n"));
    CHECK(response.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
    CHECK(response.find("Sec-WebSocket-Protocol") == std::string::npos);
    // The frame sent right behind the request is kept for the session.
    CHECK(up.leftover() == duplex_test::client_frame(0x1, "first"));
}

TEST_CASE("server_upgrade picks a subprotocol and negotiates the extension", "[protocol][upgrade]") {
    duplex::protocol::server_upgrade_options options;
    options.subprotocols = {"v2.chat", "v1.chat"};
    options.negotiate_extensions = accept_x_identity();
    server_upgrade up(options);
    up.feed(sample_request(
        "Sec-WebSocket-Protocol: v1.chat, v2.chat\r\nSec-WebSocket-Extensions: x-other, x-identity\r\n"));
    REQUIRE(up.state() == upgrade_state::request_ready);
    CHECK(up.offered_subprotocols() == std::vector<std::string>{"v1.chat", "v2.chat"});
    CHECK(up.offered_extensions().size() == 2);
    up.accept();
    CHECK(up.subprotocol() == "v2.chat"); // the server's preference
    CHECK(up.negotiated_extension() != nullptr);
    const std::string response(up.output());
    CHECK(response.find("Sec-WebSocket-Protocol: v2.chat\r\n") != std::string::npos);
    CHECK(response.find("Sec-WebSocket-Extensions: x-identity\r\n") != std::string::npos);

    SECTION("or the caller chooses") {
        server_upgrade other(options);
        other.feed(sample_request("Sec-WebSocket-Protocol: v1.chat, v2.chat\r\n"));
        other.accept("v1.chat", {{"Set-Cookie", "a=b"}});
        CHECK(other.subprotocol() == "v1.chat");
        CHECK(std::string(other.output()).find("Set-Cookie: a=b\r\n") != std::string::npos);
    }
}

TEST_CASE("server_upgrade answers bad requests with their status and fails", "[protocol][upgrade]") {
    struct bad {
        std::string request;
        int status;
    };
    const bad cases[] = {
        {"POST /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
         405},
        {"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Version: 13\r\n\r\n",
         400},
        {"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
         426},
        {"GET /chat HTTP/1.1\r\nHost: h\r\n" + std::string(9000, 'X') + ": y\r\n\r\n", 431},
        {"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
         "Sec-WebSocket-Protocol: a b\r\n\r\n",
         400},
        {"\x16\x03\x01 not HTTP\r\n\r\n", 400},
    };
    for (const auto& c : cases) {
        INFO(c.request.substr(0, 60));
        server_upgrade up;
        up.feed(c.request + duplex_test::client_frame(0x1, "ignored"));
        CHECK(up.state() == upgrade_state::failed);
        CHECK(up.status() == c.status);
        CHECK(starts_with(up.output(), "HTTP/1.1 " + std::to_string(c.status) + " "));
        if (c.status == 426) CHECK(std::string(up.output()).find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);
        up.accept(); // too late: nothing changes
        CHECK(up.state() == upgrade_state::failed);
    }
}

TEST_CASE("server_upgrade leaves plain HTTP requests to the caller", "[protocol][upgrade]") {
    server_upgrade up;
    up.feed("GET /health HTTP/1.1\r\nHost: h\r\n\r\n");
    REQUIRE(up.state() == upgrade_state::request_ready);
    CHECK_FALSE(up.is_upgrade());
    up.accept(); // not an upgrade: refused silently
    CHECK(up.state() == upgrade_state::request_ready);
    up.respond(200, "ok\n");
    CHECK(up.state() == upgrade_state::failed);
    CHECK(starts_with(up.output(), "HTTP/1.1 200 OK\r\n"));
    CHECK(std::string(up.output()).find("\r\n\r\nok\n") != std::string::npos);
}

TEST_CASE("client_upgrade and server_upgrade complete a handshake together", "[protocol][upgrade]") {
    duplex::protocol::client_upgrade_options co;
    co.request.host = "example.com";
    co.request.target = "/room?x=1";
    co.request.subprotocols = {"v1.chat"};
    co.request.extensions = "x-identity";
    co.accept_extensions = accept_x_identity();
    client_upgrade client(co);
    duplex::protocol::server_upgrade_options so;
    so.subprotocols = {"v1.chat"};
    so.negotiate_extensions = accept_x_identity();
    server_upgrade server(so);

    server.feed(client.output());
    client.consume_output(client.output().size());
    REQUIRE(server.state() == upgrade_state::request_ready);
    CHECK(server.request()->target() == "/room?x=1");
    server.accept();
    // The response in pieces, with the server's first frame behind it.
    const std::string response = std::string(server.output()) + duplex_test::server_frame(0x1, "welcome");
    for (std::size_t i = 0; i < response.size(); i += 7)
        client.feed(std::string_view(response).substr(i, 7));
    REQUIRE(client.state() == upgrade_state::open);
    CHECK_FALSE(client.error());
    CHECK(client.status() == 101);
    CHECK(client.subprotocol() == "v1.chat");
    CHECK(client.negotiated_extension() != nullptr);
    CHECK(client.leftover() == duplex_test::server_frame(0x1, "welcome"));
}

TEST_CASE("client_upgrade fails on a refusal or a 101 that does not fit", "[protocol][upgrade]") {
    duplex::protocol::client_upgrade_options co;
    co.request.host = "example.com";
    const auto answer = [&](std::string response) {
        client_upgrade client(co);
        client.feed(response);
        return std::make_pair(client.state(), client.error());
    };
    auto [state, error] = answer("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    CHECK(state == upgrade_state::failed);
    CHECK(error == duplex::error::handshake_failed);
    std::tie(state, error) = answer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
    CHECK(state == upgrade_state::failed);
    CHECK(error == duplex::error::bad_response);
    std::tie(state, error) = answer("SSH-2.0-OpenSSH\r\n\r\n");
    CHECK(state == upgrade_state::failed);
    CHECK(error == duplex::error::bad_response);
    CHECK(error == duplex::condition::handshake_failed);
}

TEST_CASE("server_connection and client_connection talk from the first byte to the close", "[protocol][upgrade]") {
    duplex::protocol::client_connection_options co;
    co.upgrade.request.host = "localhost";
    co.upgrade.request.extensions = "x-identity";
    co.upgrade.accept_extensions = accept_x_identity();
    client_connection client(co);
    duplex::protocol::server_connection_options so;
    so.upgrade.negotiate_extensions = accept_x_identity();
    server_connection server(so);

    // Everything one side wrote goes to the other, in pieces of 5 bytes.
    const auto pump = [](auto& from, auto& to) {
        std::string bytes;
        while (!from.output().empty()) {
            bytes += from.output();
            from.consume_output(from.output().size());
        }
        for (std::size_t i = 0; i < bytes.size(); i += 5)
            to.feed(std::string_view(bytes).substr(i, 5));
        return bytes.size();
    };
    pump(client, server);
    REQUIRE(server.state() == upgrade_state::request_ready);
    server.accept();
    REQUIRE(server.state() == upgrade_state::open);
    REQUIRE(!server.session().send_text("hello client"));
    pump(server, client);
    REQUIRE(client.state() == upgrade_state::open);
    auto ev = client.next_event();
    REQUIRE(ev.type == duplex::protocol::event::message);
    CHECK(ev.data == "hello client");
    REQUIRE(!client.session().send_text("hello server"));
    REQUIRE(!client.session().send_close(1000, "bye"));
    pump(client, server);
    ev = server.next_event();
    REQUIRE(ev.type == duplex::protocol::event::message);
    CHECK(ev.data == "hello server");
    ev = server.next_event();
    REQUIRE(ev.type == duplex::protocol::event::close);
    CHECK(ev.code == 1000);
    pump(server, client); // the server's close answer
    ev = client.next_event();
    REQUIRE(ev.type == duplex::protocol::event::close);
    CHECK(server.should_close_transport());
    CHECK(client.should_close_transport());
}

TEST_CASE("a server_connection whose handshake fails closes after its response", "[protocol][upgrade]") {
    server_connection server;
    server.feed("GET / HTTP/1.0\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    CHECK(server.state() == upgrade_state::failed);
    CHECK_FALSE(server.should_close_transport()); // the 505 is still to send
    CHECK(starts_with(server.output(), "HTTP/1.1 505 "));
    server.consume_output(server.output().size());
    CHECK(server.should_close_transport());
    CHECK_FALSE(server.next_event());
}
