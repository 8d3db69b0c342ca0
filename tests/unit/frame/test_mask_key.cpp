#include <duplex/frame/mask_key.hpp>

#include "support/catch.hpp"

#include <cstdint>
#include <set>
#include <vector>

TEST_CASE("mask keys are fresh for every frame", "[frame][random]") {
    std::set<std::uint32_t> seen;
    for (int i = 0; i < 10000; ++i) {
        const auto key = duplex::frame::make_mask_key();
        seen.insert(static_cast<std::uint32_t>(key[0]) << 24 | static_cast<std::uint32_t>(key[1]) << 16 |
                    static_cast<std::uint32_t>(key[2]) << 8 | key[3]);
    }
    // 10,000 draws from 2^32 values: a collision is possible but rare (p ~ 1%).
    CHECK(seen.size() >= 9995);
}

TEST_CASE("secure_random_bytes fills buffers of any size", "[frame][random]") {
    for (std::size_t size : {1u, 3u, 16u, 255u, 256u, 257u, 1000u}) {
        std::vector<std::uint8_t> a(size, 0), b(size, 0);
        duplex::frame::secure_random_bytes(a.data(), a.size());
        duplex::frame::secure_random_bytes(b.data(), b.size());
        if (size >= 16) CHECK(a != b);
        if (size >= 256) {
            std::set<std::uint8_t> distinct(a.begin(), a.end());
            CHECK(distinct.size() > 100); // not a constant or a short cycle
        }
    }
}
