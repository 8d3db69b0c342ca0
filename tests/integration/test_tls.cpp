// wss through duplex's own TLS stream (transport/tls_stream.hpp): messages of
// every size both ways, and what a TLS peer can do wrong.
#include <duplex/tls.hpp>

#include "support/catch.hpp"
#include "support/loopback.hpp"
#include "support/test_pki.hpp"
#include "support/wire.hpp"

#include "support/asio.hpp"
#include <duplex/config/asio_ssl.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <malloc.h>
#include <string>
#include <thread>
#include <vector>

using namespace duplex_test;
using namespace std::chrono_literals;

namespace {

// A wss echo server on 127.0.0.1 that counts closes by code.
template <class Config = duplex::config::tls_server>
struct tls_echo_server {
    test_pki pki;
    io_thread thread;
    asio::ssl::context context = duplex::tls::make_server_context(pki.file("server.pem"), pki.file("server.key"));
    duplex::basic_server<Config> server{thread.io, context};
    std::atomic<int> last_close{0};
    std::atomic<int> closes{0};
    std::string port;

    tls_echo_server() {
        auto& route = server.route("/echo");
        route.on_message = [](const auto& c, const duplex::message& m) { c->send(m.kind, m.data); };
        route.on_close = [this](const auto&, const duplex::close_info& info) {
            last_close = info.code;
            ++closes;
        };
        REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
        port = std::to_string(server.port());
    }
    ~tls_echo_server() { thread.stop(); }

    bool idle_within(std::chrono::milliseconds limit) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < end) {
            if (thread.call([this] { return server.connection_count() + server.handshake_count(); }) == 0) return true;
            std::this_thread::sleep_for(10ms);
        }
        return false;
    }

    // One wss echo by a duplex client that verifies the certificate.
    bool echoes() {
        asio::io_context io{1};
        auto client_context = duplex::tls::make_client_context(pki.file("ca.pem"));
        duplex::tls_client client{io, client_context};
        bool matched = false;
        duplex::tls_client::handlers_type h;
        h.on_open = [](const auto& c) { c->send_text("still serving"); };
        h.on_message = [&](const auto& c, const duplex::message& m) {
            matched = m.to_string() == "still serving";
            c->close();
        };
        client.connect("wss://localhost:" + port + "/echo", h);
        io.run_for(20s);
        return matched;
    }
};

// A TLS peer written with Asio's own ssl::stream, for bytes duplex would never send.
struct raw_tls_peer {
    asio::io_context io;
    asio::ssl::context context{asio::ssl::context::tls_client};
    asio::ssl::stream<asio::ip::tcp::socket> stream{io, context};

    explicit raw_tls_peer(const std::string& port) {
        context.set_verify_mode(asio::ssl::verify_none);
        stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(std::stoi(port))});
        timeval tv{5, 0}; // never hang a test
        ::setsockopt(stream.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        stream.handshake(asio::ssl::stream_base::client);
    }
    void upgrade() {
        const std::string request = "GET /echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                    "Sec-WebSocket-Version: 13\r\n\r\n";
        asio::write(stream, asio::buffer(request));
        std::string response;
        char c;
        while (response.find("\r\n\r\n") == std::string::npos && asio::read(stream, asio::buffer(&c, 1)) == 1)
            response += c;
        REQUIRE(response.rfind("HTTP/1.1 101", 0) == 0);
    }
    void send(const std::string& bytes) { asio::write(stream, asio::buffer(bytes)); }
    // One unmasked frame from the server: (opcode, payload), or (-1, "") when none came.
    std::pair<int, std::string> read_frame() {
        duplex::error_code ec;
        unsigned char h[2];
        if (asio::read(stream, asio::buffer(h), ec) != 2) return {-1, {}};
        std::uint64_t n = h[1] & 0x7F;
        if (n >= 126) {
            unsigned char ext[8];
            const std::size_t k = n == 126 ? 2 : 8;
            if (asio::read(stream, asio::buffer(ext, k), ec) != k) return {-1, {}};
            n = 0;
            for (std::size_t i = 0; i < k; ++i)
                n = n << 8 | ext[i];
        }
        std::string payload(static_cast<std::size_t>(n), '\0');
        if (n != 0 && asio::read(stream, asio::buffer(payload), ec) != n) return {-1, {}};
        return {h[0] & 0x0F, payload};
    }
    // True when the server ended the connection: EOF or a reset on the TCP
    // stream, perhaps after a TLS alert (read raw: the alert is not decrypted).
    bool ended_by_server() {
        duplex::error_code ec;
        char c[256];
        for (int i = 0; i < 1000; ++i) {
            stream.next_layer().read_some(asio::buffer(c), ec);
            if (ec == asio::error::eof || ec == asio::error::connection_reset) return true;
            if (ec) return false; // the receive timeout: the server held the connection
        }
        return false;
    }
};

// Bytes the allocator has handed out and not taken back (glibc), for what
// parked connections give back. Sanitizers replace malloc, so their builds
// skip the figure, not the behaviour.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DUPLEX_TEST_HEAP_FIGURES 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DUPLEX_TEST_HEAP_FIGURES 0
#endif
#endif
#ifndef DUPLEX_TEST_HEAP_FIGURES
#define DUPLEX_TEST_HEAP_FIGURES 1
#endif

std::size_t heap_in_use() {
    return ::mallinfo2().uordblks;
}

struct tls_parks_soon : duplex::config::tls_server {
    static constexpr std::chrono::milliseconds park_after{100};
};

std::string pattern(std::size_t size, unsigned seed) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        s[i] = static_cast<char>(seed + i * 7 % 251);
    return s;
}

} // namespace

TEST_CASE("wss: messages of every size both ways, a burst, and the close code", "[integration][tls]") {
    tls_echo_server<> s;
    asio::io_context io{1};
    auto client_context = duplex::tls::make_client_context(s.pki.file("ca.pem"));
    duplex::tls_client client{io, client_context};

    // Sizes at the frame-length boundaries and beyond one TLS record (16 KiB), as
    // text and binary, then a burst of small messages written back to back.
    std::vector<std::pair<duplex::message_kind, std::string>> sent;
    for (const std::size_t size : {0u, 1u, 125u, 126u, 16383u, 16384u, 16385u, 65535u, 65536u, 200000u, 1u << 20}) {
        sent.emplace_back(duplex::message_kind::binary, pattern(size, 98));
        sent.emplace_back(duplex::message_kind::text, std::string(size, 't'));
    }
    for (int i = 0; i < 300; ++i)
        sent.emplace_back(duplex::message_kind::text, "burst " + std::to_string(i));

    std::size_t received = 0, matched = 0;
    duplex::close_info client_saw;
    duplex::tls_client::handlers_type h;
    h.on_open = [&](const auto& c) {
        for (const auto& [kind, data] : sent)
            c->send(kind, data);
    };
    h.on_message = [&](const auto& c, const duplex::message& m) {
        if (received < sent.size() && m.kind == sent[received].first && m.data == sent[received].second) ++matched;
        if (++received == sent.size()) c->close(4001, "all echoed");
    };
    h.on_close = [&](const auto&, const duplex::close_info& info) { client_saw = info; };
    client.connect("wss://localhost:" + s.port + "/echo", h);
    io.run_for(30s);

    CHECK(received == sent.size());
    CHECK(matched == sent.size());
    CHECK(client_saw.code == 4001);
    CHECK(client_saw.clean);
    REQUIRE(s.idle_within(5s));
    CHECK(s.last_close == 4001);
}

TEST_CASE("wss: bad input from a TLS peer ends that connection; the server keeps serving",
          "[integration][tls][attacks]") {
    tls_echo_server<> s;

    SECTION("plain HTTP to the TLS port") {
        raw_client plain(static_cast<std::uint16_t>(std::stoi(s.port)));
        plain.send("GET /echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\r\n");
        CHECK(plain.closed_by_peer()); // after a TLS alert at most, never an HTTP answer
    }
    SECTION("a forged application-data record (its tag cannot verify)") {
        raw_tls_peer peer(s.port);
        peer.upgrade();
        // A TLS 1.2/1.3 record header for 64 bytes of application data, then garbage.
        std::string record = "\x17\x03\x03";
        record += '\0';
        record += '\x40';
        record += std::string(64, '\x5a');
        asio::write(peer.stream.next_layer(), asio::buffer(record));
        CHECK(peer.ended_by_server());
        REQUIRE(s.idle_within(5s));
        CHECK(s.last_close == 1006);
    }
    SECTION("the TCP stream ends inside a large frame, without close_notify") {
        raw_tls_peer peer(s.port);
        peer.upgrade();
        // A masked binary frame that claims 1 MiB; 1,000 bytes of it, then a cut.
        std::string frame = "\x82\xFF";
        for (const int shift : {56, 48, 40, 32, 24, 16, 8, 0})
            frame += static_cast<char>((std::uint64_t{1} << 20) >> shift & 0xFF);
        frame += std::string("\x01\x02\x03\x04", 4) + std::string(1000, 'x');
        asio::write(peer.stream, asio::buffer(frame));
        std::this_thread::sleep_for(100ms);
        peer.stream.next_layer().close();
        REQUIRE(s.idle_within(5s));
        CHECK(s.last_close == 1006);
    }
    SECTION("a record header that claims more than a record may hold") {
        raw_tls_peer peer(s.port);
        peer.upgrade();
        const std::string header = "\x17\x03\x03\xFF\xFF"; // 65,535 bytes: over 2^14 + 256 (RFC 8446 5.2)
        asio::write(peer.stream.next_layer(), asio::buffer(header + std::string(1000, 'z')));
        CHECK(peer.ended_by_server());
        REQUIRE(s.idle_within(5s));
    }
    CHECK(s.echoes());
    CHECK(s.idle_within(5s));
}

TEST_CASE("wss: idle connections park, give their buffers back, and wake for what comes next", "[integration][tls]") {
    tls_echo_server<tls_parks_soon> s;
    constexpr std::size_t n = 40;
    std::vector<std::unique_ptr<raw_tls_peer>> peers;
    for (std::size_t i = 0; i < n; ++i) {
        peers.push_back(std::make_unique<raw_tls_peer>(s.port));
        peers.back()->upgrade();
    }
    // Every connection busy for a moment: it reads through its own buffers.
    for (auto& p : peers) {
        p->send(client_frame(0x1, "hello"));
        REQUIRE(p->read_frame() == std::make_pair(0x1, std::string("hello")));
    }
    const std::size_t busy = heap_in_use();
    std::this_thread::sleep_for(600ms); // past park_after and a tick: each parks
    const std::size_t parked = heap_in_use();
#if DUPLEX_TEST_HEAP_FIGURES
    // A busy connection holds a 16 KiB read buffer and the receive space of its
    // TLS stream; a parked one neither.
    INFO("heap in use busy " << busy << " B, parked " << parked << " B");
    CHECK(busy > parked);
    CHECK(busy - parked >= n * 16 * 1024);
#else
    (void)busy;
    (void)parked;
#endif
    // Woken by a burst of records in one write: every message is echoed, in order.
    std::string burst;
    for (int i = 0; i < 20; ++i)
        burst += client_frame(0x1, "burst " + std::to_string(i));
    for (auto& p : peers)
        p->send(burst);
    std::size_t echoed = 0;
    for (auto& p : peers)
        for (int i = 0; i < 20; ++i)
            echoed += p->read_frame() == std::make_pair(0x1, "burst " + std::to_string(i)) ? 1 : 0;
    CHECK(echoed == n * 20);
    // Parked again, then a message and a close in one write: both are seen.
    std::this_thread::sleep_for(600ms);
    auto& last = *peers.front();
    last.send(client_frame(0x1, "last") + client_frame(0x8, std::string("\x03\xE8", 2)));
    CHECK(last.read_frame() == std::make_pair(0x1, std::string("last")));
    CHECK(last.read_frame().first == 0x8);
    peers.clear();
    CHECK(s.idle_within(5s));
}
