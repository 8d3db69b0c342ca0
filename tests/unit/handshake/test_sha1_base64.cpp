#include <duplex/handshake/detail/base64.hpp>
#include <duplex/handshake/detail/sha1.hpp>

#include "support/catch.hpp"

#include <string>

using namespace duplex::handshake::detail;

namespace {
std::string sha1_hex(const std::string& input, std::size_t chunk = 0) {
    sha1 h;
    if (chunk == 0) {
        h.update(input.data(), input.size());
    } else {
        for (std::size_t i = 0; i < input.size(); i += chunk)
            h.update(input.data() + i, std::min(chunk, input.size() - i));
    }
    const auto d = h.finish();
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (auto b : d) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}
std::string b64(const std::string& s) {
    return base64_encode(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}
} // namespace

TEST_CASE("SHA-1 test vectors (FIPS 180 examples)", "[handshake][sha1]") {
    CHECK(sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    CHECK(sha1_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
    const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK(sha1_hex(two_blocks) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    CHECK(sha1_hex(two_blocks, 7) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    CHECK(sha1_hex(std::string(1000000, 'a'), 4096) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST_CASE("base64 test vectors (RFC 4648 10)", "[handshake][base64]") {
    CHECK(b64("") == "");
    CHECK(b64("f") == "Zg==");
    CHECK(b64("fo") == "Zm8=");
    CHECK(b64("foo") == "Zm9v");
    CHECK(b64("foob") == "Zm9vYg==");
    CHECK(b64("fooba") == "Zm9vYmE=");
    CHECK(b64("foobar") == "Zm9vYmFy");
    for (const std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
        const auto decoded = base64_decode(b64(s));
        REQUIRE(decoded);
        CHECK(*decoded == s);
    }
    CHECK_FALSE(base64_decode("Zm9"));      // length not a multiple of 4
    CHECK_FALSE(base64_decode("Zm=v"));     // data after padding
    CHECK_FALSE(base64_decode("Zm9v!A==")); // not in the alphabet
    CHECK_FALSE(base64_decode("Zh=="));     // non-zero bits under the padding
}
