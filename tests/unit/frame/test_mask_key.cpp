#include <duplex/frame/mask_key.hpp>

#include "support/catch.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <thread>
#include <vector>

using duplex::frame::make_mask_key;
using duplex::frame::secure_random_bytes;

namespace {

std::uint32_t as_u32(const std::array<std::uint8_t, 4>& key) {
    return static_cast<std::uint32_t>(key[0]) << 24 | static_cast<std::uint32_t>(key[1]) << 16 |
           static_cast<std::uint32_t>(key[2]) << 8 | key[3];
}

int popcount(std::uint32_t v) {
    int n = 0;
    for (; v != 0; v &= v - 1)
        ++n;
    return n;
}

} // namespace

TEST_CASE("mask keys do not repeat", "[frame][random]") {
    std::set<std::uint32_t> keys;
    std::set<std::uint64_t> pairs;
    std::uint32_t previous = 0;
    for (int i = 0; i < 10000; ++i) {
        const auto key = as_u32(make_mask_key());
        keys.insert(key);
        if (i % 2 == 1) pairs.insert(std::uint64_t{previous} << 32 | key);
        previous = key;
    }
    // 5,000 64-bit values drawn from 2^64: any repeat means the source repeats.
    CHECK(pairs.size() == 5000);
    // 10,000 draws from 2^32 collide by chance with p ~ 1.2%, three times with p ~ 3e-7:
    // allow the birthday paradox, not a repeating source.
    CHECK(keys.size() >= 9998);
}

TEST_CASE("mask key bits are balanced", "[frame][random]") {
    long ones = 0;
    std::array<int, 32> per_bit{};
    constexpr int draws = 10000;
    for (int i = 0; i < draws; ++i) {
        const auto key = as_u32(make_mask_key());
        ones += popcount(key);
        for (int bit = 0; bit < 32; ++bit)
            per_bit[static_cast<std::size_t>(bit)] += static_cast<int>((key >> bit) & 1u);
    }
    // 320,000 fair bits: the mean is 160,000 with a standard deviation of about 283.
    CHECK(ones > 155000);
    CHECK(ones < 165000);
    // Each bit position is set about half the time (sd 50 of 10,000): no stuck bits.
    for (int count : per_bit) {
        CHECK(count > 4500);
        CHECK(count < 5500);
    }
}

TEST_CASE("threads draw different keys", "[frame][random]") {
    std::vector<std::uint32_t> a, b;
    std::thread first([&a] {
        for (int i = 0; i < 200; ++i)
            a.push_back(as_u32(make_mask_key()));
    });
    std::thread second([&b] {
        for (int i = 0; i < 200; ++i)
            b.push_back(as_u32(make_mask_key()));
    });
    first.join();
    second.join();
    std::set<std::uint32_t> all(a.begin(), a.end());
    all.insert(b.begin(), b.end());
    CHECK(a != b);
    CHECK(all.size() >= 398); // a per-thread pool must not be seeded alike
}

TEST_CASE("secure_random_bytes fills buffers of any size and nothing past them", "[frame][random]") {
    constexpr std::size_t guard = 32;
    for (std::size_t size : {0u, 1u, 3u, 4u, 15u, 16u, 63u, 64u, 255u, 256u, 257u, 511u, 1000u, 4096u, 100000u}) {
        INFO("size " << size);
        std::vector<std::uint8_t> buffer(size + guard, 0);
        secure_random_bytes(buffer.data(), size);
        for (std::size_t i = size; i < buffer.size(); ++i)
            REQUIRE(buffer[i] == 0);
        if (size >= 16) {
            // The last 16 bytes being all zero would mean the end was never written (p = 2^-128).
            std::uint8_t any = 0;
            for (std::size_t i = size - 16; i < size; ++i)
                any |= buffer[i];
            CHECK(any != 0);
        }
        if (size >= 256) {
            std::set<std::uint8_t> distinct(buffer.begin(), buffer.begin() + 256);
            CHECK(distinct.size() > 100); // not a constant or a short cycle
        }
    }
}

TEST_CASE("successive calls return different bytes", "[frame][random]") {
    for (std::size_t size : {16u, 100u, 256u, 300u}) {
        std::vector<std::uint8_t> a(size, 0), b(size, 0);
        secure_random_bytes(a.data(), a.size());
        secure_random_bytes(b.data(), b.size());
        CHECK(a != b);
    }
    // Many small reads across pool refills never hand out the same bytes twice.
    std::set<std::vector<std::uint8_t>> blocks;
    for (int i = 0; i < 1000; ++i) {
        std::vector<std::uint8_t> block(12);
        secure_random_bytes(block.data(), block.size());
        blocks.insert(block);
    }
    CHECK(blocks.size() == 1000);
}
