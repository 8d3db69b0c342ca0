#include <duplex/handshake/detail/base64.hpp>
#include <duplex/handshake/detail/sha1.hpp>

#include "support/catch.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace duplex::handshake::detail;

namespace {

std::string to_hex(const std::array<std::uint8_t, 20>& digest) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (auto b : digest) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

// SHA-1 of `input`, fed in pieces of `chunk` bytes (0: all at once).
std::string sha1_hex(const std::string& input, std::size_t chunk = 0) {
    sha1 h;
    if (chunk == 0) {
        h.update(input.data(), input.size());
    } else {
        for (std::size_t i = 0; i < input.size(); i += chunk)
            h.update(input.data() + i, std::min(chunk, input.size() - i));
    }
    return to_hex(h.finish());
}

// (i * 7 + 3) mod 256 for i in 0..n-1; digests below computed with Python's hashlib.
std::string sequence(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>((i * 7 + 3) & 0xFF);
    return s;
}

std::string b64(const std::string& s) {
    return base64_encode(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

} // namespace

TEST_CASE("SHA-1 test vectors (FIPS 180 examples)", "[handshake][sha1]") {
    CHECK(sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    CHECK(sha1_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    CHECK(sha1_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmn"
                   "opqrstnopqrstu") == "a49b2446a02c645bf419f995b67091253a04a259");
    CHECK(sha1_hex(std::string(1000000, 'a'), 4096) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    CHECK(sha1_hex("The quick brown fox jumps over the lazy dog") == "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
}

TEST_CASE("SHA-1 at the padding boundaries of a 64-byte block", "[handshake][sha1]") {
    // 55 bytes: the length fits in the same block; 56-63: it spills into the next.
    CHECK(sha1_hex(sequence(55)) == "ddf57317ef34bfee3b6df83d359098930eb278bc");
    CHECK(sha1_hex(sequence(56)) == "a0d492bb0fc889d0eca3bc137066ab6f4f74f369");
    CHECK(sha1_hex(sequence(63)) == "c55856749bef509bdfe6bfebfc7bf4e793e82132");
    CHECK(sha1_hex(sequence(64)) == "bede92be29c3874e1b54ddc77988d606fc857a8e");
    CHECK(sha1_hex(sequence(65)) == "b05a80522b053d6dc7e0a517d0e70212c7dad11f");
    CHECK(sha1_hex(sequence(119)) == "504e27376a6e0f0dba8295b85cb25dc4dfa17d23");
    CHECK(sha1_hex(sequence(120)) == "82134b02fb3f702491be9bed581eeab59334acb2");
    CHECK(sha1_hex(sequence(128)) == "a09133e6730ffe899efb70204cb5646cd5dc24ee");
}

TEST_CASE("SHA-1 gives the same digest in any chunking", "[handshake][sha1]") {
    const auto input = sequence(200);
    const auto whole = sha1_hex(input);
    for (std::size_t chunk = 1; chunk <= 201; ++chunk) {
        INFO("chunk " << chunk);
        CHECK(sha1_hex(input, chunk) == whole);
    }
    sha1 h; // empty updates change nothing
    h.update(input.data(), 0);
    h.update(input.data(), input.size());
    h.update(input.data(), 0);
    CHECK(to_hex(h.finish()) == whole);
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
}

TEST_CASE("base64 uses the standard alphabet", "[handshake][base64]") {
    CHECK(b64(std::string("\xfb\xff\xbf", 3)) == "+/+/");
    CHECK(b64(std::string("\x00\x00\x00", 3)) == "AAAA");
    CHECK(b64(std::string("\xff\xff\xff", 3)) == "////");
    // Every 6-bit value in order: 00 10 83 10 51 87 20 92 8b ... encodes the alphabet.
    std::string all;
    for (int v = 0; v < 64; v += 4) {
        const std::uint32_t bits = static_cast<std::uint32_t>(v << 18 | (v + 1) << 12 | (v + 2) << 6 | (v + 3));
        all += static_cast<char>(bits >> 16);
        all += static_cast<char>((bits >> 8) & 0xFF);
        all += static_cast<char>(bits & 0xFF);
    }
    CHECK(b64(all) == "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
}

TEST_CASE("base64 round trips every length and byte value", "[handshake][base64]") {
    for (std::size_t length = 0; length <= 66; ++length) {
        const auto input = sequence(length);
        const auto encoded = b64(input);
        CHECK(encoded.size() == (length + 2) / 3 * 4);
        const auto decoded = base64_decode(encoded);
        REQUIRE(decoded);
        CHECK(*decoded == input);
    }
    std::string every_byte;
    for (int b = 0; b < 256; ++b)
        every_byte += static_cast<char>(b);
    const auto decoded = base64_decode(b64(every_byte));
    REQUIRE(decoded);
    CHECK(*decoded == every_byte);
}

TEST_CASE("strict base64 decoding rejects anything non-canonical", "[handshake][base64]") {
    CHECK(base64_decode("") == std::string());
    for (const char* bad : {
             "Z",         // length not a multiple of 4
             "Zm9",       //
             "Zm9vY",     //
             "Zm9vYg=",   // padding cut short
             "Zm=v",      // data after padding
             "Z===",      // padding too early
             "====",      // nothing but padding
             "=Zm9",      // padding first
             "Zg==Zg==",  // padding in a group that is not the last
             "Zm9v!A==",  // not in the alphabet
             "Zm9v-_==",  // the base64url alphabet
             "Zm9v Yg==", // whitespace
             "Zm9vYg==\n",
             "Zh==", // non-zero bits under the padding
             "Zm9=", //
         }) {
        INFO(bad);
        CHECK_FALSE(base64_decode(bad));
    }
    CHECK_FALSE(base64_decode(std::string("Zm9\0", 4)));
    CHECK_FALSE(base64_decode(std::string("Zm9\x80", 4)));
}
