#include <duplex/handshake/accept_key.hpp>

#include "support/catch.hpp"

#include <set>
#include <string>

using namespace duplex::handshake;

TEST_CASE("Sec-WebSocket-Accept of the RFC 6455 1.3 example", "[handshake]") {
    CHECK(compute_accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("client keys are 16 random bytes in base64", "[handshake]") {
    std::set<std::string> keys;
    for (int i = 0; i < 100; ++i) {
        const auto key = generate_client_key();
        CHECK(key.size() == 24);
        CHECK(is_valid_client_key(key));
        keys.insert(key);
    }
    CHECK(keys.size() == 100);
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ"));   // no padding
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZXg=")); // 17 bytes
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25j"));     // 15 bytes
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ=!")); // not base64
    CHECK_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZR==")); // stray bits in the last group
}
