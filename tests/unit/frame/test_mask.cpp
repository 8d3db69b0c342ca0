#include <duplex/frame/mask.hpp>

#include "support/catch.hpp"

#include <cstdint>
#include <vector>

using duplex::frame::apply_mask;

namespace {
std::vector<std::uint8_t> pattern(std::size_t n) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = static_cast<std::uint8_t>(i * 131 + 7);
    return v;
}
void naive(std::uint8_t* p, std::size_t n, const std::array<std::uint8_t, 4>& key, std::size_t phase) {
    for (std::size_t i = 0; i < n; ++i)
        p[i] ^= key[(phase + i) & 3];
}
} // namespace

TEST_CASE("apply_mask matches a byte loop at every size, phase and alignment", "[frame][mask]") {
    const std::array<std::uint8_t, 4> key{0xA1, 0x5C, 0x03, 0xF0};
    std::vector<std::size_t> sizes;
    for (std::size_t n = 0; n <= 100; ++n)
        sizes.push_back(n);
    for (std::size_t n : {127u, 128u, 1000u, 4096u, 16385u})
        sizes.push_back(n);
    for (std::size_t size : sizes) {
        for (std::size_t phase = 0; phase < 4; ++phase) {
            for (std::size_t offset = 0; offset < 16; offset += (size > 200 ? 5 : 1)) {
                auto buffer = pattern(size + 16);
                auto expected = buffer;
                naive(expected.data() + offset, size, key, phase);
                const auto next = apply_mask(buffer.data() + offset, size, key, phase);
                REQUIRE(buffer == expected);
                CHECK(next == (phase + size) % 4);
            }
        }
    }
}

TEST_CASE("masking in pieces with the returned phase equals masking at once", "[frame][mask]") {
    const std::array<std::uint8_t, 4> key{1, 2, 3, 4};
    const auto original = pattern(77);
    auto whole = original;
    apply_mask(whole.data(), whole.size(), key);
    for (std::size_t split = 0; split <= original.size(); ++split) {
        auto parts = original;
        const auto phase = apply_mask(parts.data(), split, key);
        apply_mask(parts.data() + split, parts.size() - split, key, phase);
        REQUIRE(parts == whole);
    }
    apply_mask(whole.data(), whole.size(), key);
    CHECK(whole == original); // masking twice is the identity
}
