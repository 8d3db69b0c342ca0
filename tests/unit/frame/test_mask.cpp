#include <duplex/frame/mask.hpp>

#include "support/catch.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

using duplex::frame::apply_mask;

namespace {

using mask_key = std::array<std::uint8_t, 4>;

std::vector<std::uint8_t> pattern(std::size_t n, unsigned seed = 7) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = static_cast<std::uint8_t>(i * 131 + seed);
    return v;
}

// The definition of RFC 6455 5.3: byte i is XORed with key[i mod 4].
void naive_mask(std::uint8_t* p, std::size_t n, const mask_key& key, std::size_t phase) {
    for (std::size_t i = 0; i < n; ++i)
        p[i] ^= key[(phase + i) % 4];
}

const mask_key keys[] = {{0xA1, 0x5C, 0x03, 0xF0}, {0x37, 0xfa, 0x21, 0x3d}, {0xFF, 0xFF, 0xFF, 0xFF}};

std::vector<std::size_t> test_sizes() {
    std::vector<std::size_t> sizes;
    for (std::size_t n = 0; n <= 100; ++n)
        sizes.push_back(n);
    for (std::size_t n : {127u, 128u, 129u, 191u, 255u, 256u, 257u, 1000u, 4095u, 4096u, 16385u, 65537u})
        sizes.push_back(n);
    return sizes;
}

} // namespace

TEST_CASE("apply_mask matches a byte loop at every size, phase and alignment", "[frame][mask]") {
    constexpr std::size_t guard = 16;
    for (const auto& key : keys) {
        for (std::size_t size : test_sizes()) {
            for (std::size_t phase = 0; phase < 4; ++phase) {
                for (std::size_t offset = 0; offset < 16; ++offset) {
                    // offset bytes before the data and a guard after it: neither may change.
                    auto buffer = pattern(offset + size + guard);
                    auto expected = buffer;
                    naive_mask(expected.data() + offset, size, key, phase);
                    const auto next = apply_mask(buffer.data() + offset, size, key, phase);
                    INFO("size " << size << " phase " << phase << " offset " << offset);
                    REQUIRE(buffer == expected);
                    CHECK(next == (phase + size) % 4);
                }
            }
        }
    }
}

TEST_CASE("apply_mask with the RFC 6455 5.7 key unmasks \"Hello\"", "[frame][mask]") {
    std::uint8_t payload[] = {0x7f, 0x9f, 0x4d, 0x51, 0x58};
    const auto next = apply_mask(payload, sizeof payload, {0x37, 0xfa, 0x21, 0x3d});
    CHECK(std::vector<std::uint8_t>(payload, payload + 5) == std::vector<std::uint8_t>{'H', 'e', 'l', 'l', 'o'});
    CHECK(next == 1);
}

TEST_CASE("an all-zero key leaves the data as it is", "[frame][mask]") {
    const auto original = pattern(300);
    auto data = original;
    apply_mask(data.data(), data.size(), {0, 0, 0, 0}, 3);
    CHECK(data == original);
}

TEST_CASE("masking zero bytes changes nothing and keeps the phase", "[frame][mask]") {
    std::uint8_t byte = 0x5A;
    for (std::size_t phase = 0; phase < 4; ++phase) {
        CHECK(apply_mask(&byte, 0, keys[0], phase) == phase);
        CHECK(byte == 0x5A);
    }
}

TEST_CASE("masking in pieces with the returned phase equals masking at once", "[frame][mask]") {
    for (std::size_t size : {0u, 1u, 7u, 63u, 77u, 200u, 333u}) {
        for (std::size_t start_phase = 0; start_phase < 4; ++start_phase) {
            const auto original = pattern(size);
            auto whole = original;
            apply_mask(whole.data(), whole.size(), keys[1], start_phase);
            for (std::size_t split = 0; split <= size; ++split) {
                auto parts = original;
                const auto phase = apply_mask(parts.data(), split, keys[1], start_phase);
                const auto end_phase = apply_mask(parts.data() + split, size - split, keys[1], phase);
                INFO("size " << size << " start phase " << start_phase << " split " << split);
                REQUIRE(parts == whole);
                CHECK(end_phase == (start_phase + size) % 4);
            }
        }
    }
}

TEST_CASE("masking in many small pieces of varying size equals masking at once", "[frame][mask]") {
    const auto original = pattern(5000, 3);
    auto whole = original;
    apply_mask(whole.data(), whole.size(), keys[0]);
    auto pieces = original;
    std::size_t pos = 0, phase = 0, step = 1;
    while (pos < pieces.size()) {
        const std::size_t n = std::min(step, pieces.size() - pos);
        phase = apply_mask(pieces.data() + pos, n, keys[0], phase);
        pos += n;
        step = step * 7 % 97 + 1; // 1..97 bytes, in an irregular order
    }
    CHECK(pieces == whole);
    CHECK(phase == 5000 % 4);
}

TEST_CASE("masking twice with the same key and phase is the identity", "[frame][mask]") {
    for (const auto& key : keys) {
        for (std::size_t size : test_sizes()) {
            for (std::size_t phase = 0; phase < 4; ++phase) {
                const auto original = pattern(size, static_cast<unsigned>(size));
                auto data = original;
                apply_mask(data.data(), data.size(), key, phase);
                if (size > 0 && key[0] != 0) CHECK(data != original);
                apply_mask(data.data(), data.size(), key, phase);
                INFO("size " << size << " phase " << phase);
                REQUIRE(data == original);
            }
        }
    }
}
