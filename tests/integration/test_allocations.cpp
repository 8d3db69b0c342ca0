// The steady echo loop allocates nothing (issue #4: "no allocation per message
// on the steady-state echo path"). This file replaces the global operator new
// of the integration test binary with one that counts the calls made on
// threads that asked to be counted: here, the server's io thread.
#include <duplex/duplex.hpp>

#include "support/catch.hpp"
#include "support/loopback.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

// ThreadSanitizer's runtime defines operator new itself (not weakly, as
// AddressSanitizer's does), so it cannot be replaced there: under TSan this
// file holds no test. The dev build and the ASan+UBSan build run it.
#if defined(__SANITIZE_THREAD__)
#define DUPLEX_TEST_COUNTS_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define DUPLEX_TEST_COUNTS_ALLOCATIONS 0
#endif
#endif
#ifndef DUPLEX_TEST_COUNTS_ALLOCATIONS
#define DUPLEX_TEST_COUNTS_ALLOCATIONS 1
#endif

#if DUPLEX_TEST_COUNTS_ALLOCATIONS
namespace {
std::atomic<long> counted_allocations{0};
thread_local bool count_allocations = false;

void* counted_malloc(std::size_t size) noexcept {
    if (count_allocations) counted_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size ? size : 1);
}
} // namespace

// Every ordinary form of new and delete is replaced, so that each delete meets
// memory from this malloc (a sanitizer checks that they match). The aligned
// forms keep their own pair.

void* operator new(std::size_t size) {
    if (void* p = counted_malloc(size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    if (void* p = counted_malloc(size)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return counted_malloc(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return counted_malloc(size);
}
// GCC takes these for a mismatch of new and free, but they are the pair.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

using namespace duplex_test;

namespace {

// `rounds` times, one message on each connection, and its echo read back.
void echo_rounds(std::vector<std::unique_ptr<raw_client>>& clients, int rounds, std::uint8_t opcode,
                 const std::string& payload) {
    const std::string frame = client_frame(opcode, payload);
    for (int r = 0; r < rounds; ++r) {
        for (auto& c : clients)
            c->send(frame);
        for (auto& c : clients)
            REQUIRE(c->read_frame() == std::pair<int, std::string>{opcode, payload});
    }
}

} // namespace

TEST_CASE("the steady echo loop allocates nothing on the server's thread", "[server][allocation]") {
    io_thread thread;
    duplex::server server(thread.io);
    stop_before_destruction stop_first{thread};
    auto& echo = server.route("/echo");
    echo.on_message = [](const auto& c, const duplex::message& m) { c->send(m.kind, m.data); };
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
    thread.call([] { count_allocations = true; });

    std::vector<std::unique_ptr<raw_client>> clients;
    for (int i = 0; i < 8; ++i) {
        clients.push_back(std::make_unique<raw_client>(server.port()));
        REQUIRE(clients.back()->upgrade().find("HTTP/1.1 101 ") == 0);
    }

    const std::string small(20, 'x'), text(125, 't'), large(16 * 1024, 'L');
    struct message_case {
        const char* name;
        std::uint8_t opcode;
        const std::string& payload;
    };
    for (const auto& m : {message_case{"20 B binary", 0x2, small}, message_case{"125 B text", 0x1, text},
                          message_case{"16 KiB binary", 0x2, large}}) {
        SECTION(m.name) {
            echo_rounds(clients, 50, m.opcode, m.payload); // buffers and operation memory settle
            const long before = counted_allocations.load();
            const int rounds = 250;
            echo_rounds(clients, rounds, m.opcode, m.payload);
            const long allocations = counted_allocations.load() - before;
            const long messages = rounds * static_cast<long>(clients.size());
            INFO(allocations << " allocations for " << messages << " echoed messages");
            // One per message would be 2,000. A few may come from a connection
            // that went idle for a moment and parked (it gives its buffers back).
            CHECK(allocations <= messages / 100);
        }
    }
    // The counter counts: a connection's upgrade allocates on the server's thread.
    const long before = counted_allocations.load();
    raw_client extra(server.port());
    REQUIRE(extra.upgrade().find("HTTP/1.1 101 ") == 0);
    CHECK(eventually([&] { return counted_allocations.load() > before; }));
}

#endif // DUPLEX_TEST_COUNTS_ALLOCATIONS
