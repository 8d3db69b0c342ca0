#include <duplex/detail/byte_buffer.hpp>

#include "support/catch.hpp"

#include <cstring>
#include <string>
#include <utility>

using duplex::detail::byte_buffer;

namespace {
std::string contents(const byte_buffer& b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}
void append(byte_buffer& b, const std::string& s) {
    b.append(s.data(), s.size());
}
} // namespace

TEST_CASE("byte_buffer starts empty and allocates on first use", "[detail][byte_buffer]") {
    byte_buffer b;
    CHECK(b.empty());
    CHECK(b.size() == 0);
    CHECK(b.capacity() == 0);
    b.append("", 0);
    CHECK(b.capacity() == 0); // nothing to hold, nothing allocated
    append(b, "hello");
    CHECK(contents(b) == "hello");
    CHECK(b.capacity() >= 256); // small appends share one block
}

TEST_CASE("byte_buffer prepare/commit writes in place", "[detail][byte_buffer]") {
    byte_buffer b;
    std::uint8_t* p = b.prepare(3);
    REQUIRE(p != nullptr);
    std::memcpy(p, "abc", 3);
    CHECK(b.empty()); // not visible before commit
    b.commit(3);
    CHECK(contents(b) == "abc");
    p = b.prepare(1000);
    REQUIRE(b.capacity() - b.size() >= 1000);
    std::memset(p, 'x', 1000);
    b.commit(1000);
    CHECK(b.size() == 1003);
    CHECK(contents(b).substr(0, 4) == "abcx");
    b.commit(0);
    CHECK(b.size() == 1003);
}

TEST_CASE("byte_buffer consume drops from the front and resets when drained", "[detail][byte_buffer]") {
    byte_buffer b;
    append(b, "0123456789");
    b.consume(4);
    CHECK(contents(b) == "456789");
    const auto* before = b.data();
    b.consume(6);
    CHECK(b.empty());
    append(b, "ab");
    CHECK(contents(b) == "ab");
    CHECK(b.data() < before); // reused from the start of the block
    b.clear();
    CHECK(b.empty());
    CHECK(b.capacity() > 0); // clear keeps the storage
}

TEST_CASE("byte_buffer keeps unconsumed bytes through compaction and growth", "[detail][byte_buffer]") {
    byte_buffer b;
    std::string expected;
    for (int i = 0; i < 256; ++i)
        expected += static_cast<char>(i);
    append(b, expected);
    const std::size_t capacity = b.capacity();
    // Mostly consumed: room is made by moving the rest to the front, not by growing.
    b.consume(200);
    expected.erase(0, 200);
    append(b, std::string(100, 'c'));
    expected += std::string(100, 'c');
    CHECK(b.capacity() == capacity);
    CHECK(contents(b) == expected);
    // Mostly full: it grows, and the contents survive.
    append(b, std::string(capacity, 'd'));
    expected += std::string(capacity, 'd');
    CHECK(b.capacity() > capacity);
    CHECK(contents(b) == expected);
    // Many mixed operations against a std::string model.
    std::string model;
    byte_buffer m;
    for (std::size_t i = 0; i < 2000; ++i) {
        const std::string chunk(i % 37, static_cast<char>('a' + i % 26));
        append(m, chunk);
        model += chunk;
        const std::size_t drop = (i * 7) % (model.size() + 1);
        m.consume(drop);
        model.erase(0, drop);
        REQUIRE(contents(m) == model);
    }
}

TEST_CASE("byte_buffer releases its storage only when empty", "[detail][byte_buffer]") {
    byte_buffer b;
    append(b, "data");
    b.release_if_empty();
    CHECK(contents(b) == "data");
    CHECK(b.capacity() > 0);
    b.consume(4);
    b.release_if_empty();
    CHECK(b.capacity() == 0);
    append(b, "again");
    CHECK(contents(b) == "again");

    byte_buffer big;
    append(big, std::string(10000, 'x'));
    big.shrink_if_empty(1 << 20);
    CHECK(big.capacity() >= 10000); // not empty
    big.clear();
    big.shrink_if_empty(1 << 20);
    CHECK(big.capacity() >= 10000); // under the limit: kept for reuse
    big.shrink_if_empty(4096);
    CHECK(big.capacity() == 0);
}

TEST_CASE("byte_buffer moves its storage, and a moved-from buffer is usable", "[detail][byte_buffer]") {
    byte_buffer a;
    append(a, "payload");
    const auto* storage = a.data();
    byte_buffer b(std::move(a));
    CHECK(contents(b) == "payload");
    CHECK(b.data() == storage);
    // The moved-from buffer is valid: empty, and it can be used again.
    CHECK(a.empty()); // NOLINT(bugprone-use-after-move)
    CHECK(a.capacity() == 0);
    append(a, "reused");
    CHECK(contents(a) == "reused");

    byte_buffer c;
    append(c, "old");
    c = std::move(b);
    CHECK(contents(c) == "payload");
    CHECK(b.empty()); // NOLINT(bugprone-use-after-move)
    append(b, "x");
    CHECK(contents(b) == "x");
    std::swap(b, c);
    CHECK(contents(b) == "payload");
    CHECK(contents(c) == "x");
}
