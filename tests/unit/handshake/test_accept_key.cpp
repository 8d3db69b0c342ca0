#include <duplex/handshake/accept_key.hpp>

#include "support/catch.hpp"

#include <duplex/handshake/detail/base64.hpp>

#include <set>
#include <string>

using namespace duplex::handshake;

TEST_CASE("the GUID of RFC 6455 1.3", "[handshake][accept]") {
    CHECK(websocket_guid == "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
}

TEST_CASE("Sec-WebSocket-Accept of the RFC 6455 1.3 example", "[handshake][accept]") {
    CHECK(compute_accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("Sec-WebSocket-Accept of other known keys", "[handshake][accept]") {
    // The hybi-17 draft / Wikipedia example, and two computed with Python's hashlib.
    CHECK(compute_accept_key("x3JJHMbDL1EzLkh9GBhXDw==") == "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    CHECK(compute_accept_key("AQIDBAUGBwgJCgsMDQ4PEA==") == "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=");
    CHECK(compute_accept_key("") == "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=");
    // The key is hashed as sent: case matters.
    CHECK(compute_accept_key("DGhlIHNhbXBsZSBub25jZQ==") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("an accept key is 20 bytes of base64", "[handshake][accept]") {
    for (int i = 0; i < 20; ++i) {
        const auto accept = compute_accept_key(generate_client_key());
        CHECK(accept.size() == 28);
        CHECK(accept.back() == '=');
        const auto decoded = detail::base64_decode(accept);
        REQUIRE(decoded);
        CHECK(decoded->size() == 20);
    }
}

TEST_CASE("client keys are 16 fresh random bytes in base64", "[handshake][accept]") {
    std::set<std::string> keys;
    for (int i = 0; i < 1000; ++i) {
        const auto key = generate_client_key();
        REQUIRE(key.size() == 24);
        CHECK(is_valid_client_key(key));
        const auto decoded = detail::base64_decode(key);
        REQUIRE(decoded);
        CHECK(decoded->size() == 16);
        keys.insert(key);
    }
    CHECK(keys.size() == 1000); // 128-bit nonces never repeat
}

TEST_CASE("is_valid_client_key wants exactly 16 bytes of strict base64", "[handshake][accept]") {
    CHECK(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
    CHECK(is_valid_client_key("AAAAAAAAAAAAAAAAAAAAAA=="));
    CHECK(is_valid_client_key("/////////////////////w=="));
    CHECK_FALSE(is_valid_client_key(""));
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ"));       // no padding
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25j"));         // 15 bytes
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZXg="));     // 17 bytes
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZXh5"));     // 18 bytes
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ=!"));     // not base64
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ-_"));     // base64url is not base64
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZR=="));     // stray bits in the last group
    CHECK_FALSE(is_valid_client_key(" dGhlIHNhbXBsZSBub25jZQ=="));    // whitespace
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ==\r\n")); // line end
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBs ZSBub25jZQ="));     // space inside
}
