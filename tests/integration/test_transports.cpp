// TLS (with a CA the test generates), Unix domain sockets, IPv6,
// permessage-deflate, and the client through a real HTTP CONNECT proxy
// (tinyproxy), each over real sockets.
#include <duplex/client/enable_deflate.hpp>
#include <duplex/duplex.hpp>
#include <duplex/server/deflate_negotiator.hpp>
#include <duplex/tls.hpp>
#include <duplex/unix_socket.hpp>

#include "interop/process.hpp"
#include "support/catch.hpp"
#include "support/loopback.hpp"
#include "support/test_pki.hpp"

#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace duplex_test;
using namespace std::chrono_literals;

namespace {
template <class Client, class Handlers, class... Options>
void run_client(asio::io_context& io, Client& client, const std::string& url, Handlers handlers, Options... options) {
    client.connect(url, handlers, options...);
    io.run_for(20s);
}
} // namespace

TEST_CASE("wss: the client verifies the chain and the host name", "[integration][tls]") {
    test_pki pki;
    io_thread thread;
    auto server_context = duplex::tls::make_server_context(pki.file("server.pem"), pki.file("server.key"));
    duplex::tls_server server{thread.io, server_context};
    stop_before_destruction stop_first{thread};
    server.route("/echo").on_message = [](const auto& c, const duplex::message& m) { c->send(m.kind, m.data); };
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
    const auto port = std::to_string(server.port());

    auto client_context = duplex::tls::make_client_context(pki.file("ca.pem"));
    SECTION("a trusted certificate for the host name") {
        asio::io_context io{1};
        duplex::tls_client client{io, client_context};
        std::string echoed(100000, 's');
        bool matched = false;
        duplex::tls_client::handlers_type h;
        h.on_open = [&](const auto& c) { c->send_binary(echoed); };
        h.on_message = [&](const auto& c, const duplex::message& m) {
            matched = m.data == echoed;
            c->close();
        };
        run_client(io, client, "wss://localhost:" + port + "/echo", h);
        CHECK(matched);
    }
    SECTION("a host name the certificate does not name is refused") {
        asio::io_context io{1};
        duplex::tls_client client{io, client_context};
        duplex::error_code error;
        bool opened = false;
        duplex::tls_client::handlers_type h;
        h.on_open = [&](const auto&) { opened = true; };
        h.on_error = [&](const auto&, duplex::error_code ec) { error = ec; };
        run_client(io, client, "wss://127.0.0.1:" + port + "/echo", h); // the certificate says "localhost"
        CHECK_FALSE(opened);
        CHECK(error);
        CHECK(error.message().find("certificate verify failed") != std::string::npos);
        CHECK(error == duplex::condition::tls_failed);
        CHECK(error != duplex::condition::handshake_failed);
    }
    SECTION("a chain from an unknown CA is refused") {
        asio::io_context io{1};
        auto system_trust = duplex::tls::make_client_context();
        duplex::tls_client client{io, system_trust};
        duplex::error_code error;
        duplex::tls_client::handlers_type h;
        h.on_error = [&](const auto&, duplex::error_code ec) { error = ec; };
        run_client(io, client, "wss://localhost:" + port + "/echo", h);
        CHECK(error);
        CHECK(error == duplex::condition::tls_failed);
    }
}

namespace {
// Echo once over `url` with `client`; what came back ("" if nothing), and the error if any.
template <class Client>
std::pair<std::string, duplex::error_code> echo_once(Client& client, asio::io_context& io, const std::string& url,
                                                     const duplex::client_options& options = {}) {
    std::string got;
    duplex::error_code error;
    typename Client::handlers_type h;
    h.on_open = [](const auto& c) { c->send_text("round trip"); };
    h.on_message = [&](const auto& c, const duplex::message& m) {
        got = m.to_string();
        c->close();
    };
    h.on_error = [&](const auto&, duplex::error_code ec) { error = ec; };
    client.connect(url, h, options);
    io.run_for(20s);
    return {got, error};
}

std::uint16_t free_tcp_port() {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

// tinyproxy on 127.0.0.1, allowing CONNECT to the given ports only.
struct tinyproxy {
    std::uint16_t port = free_tcp_port();
    std::string config = "/tmp/duplex-tinyproxy-" + std::to_string(::getpid()) + ".conf";
    std::optional<child_process> process;
    explicit tinyproxy(std::initializer_list<std::uint16_t> connect_ports) {
        std::ofstream out(config);
        out << "Port " << port << "\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nMaxClients 20\n"
            << "LogLevel Critical\nDisableViaHeader Yes\n";
        for (const auto p : connect_ports)
            out << "ConnectPort " << p << "\n";
        out.close();
        process.emplace(std::vector<std::string>{"/usr/bin/tinyproxy", "-d", "-c", config});
        // Ready once it accepts connections.
        bool ready = false;
        for (int i = 0; i < 200 && !ready; ++i) {
            std::this_thread::sleep_for(20ms);
            asio::io_context io;
            asio::ip::tcp::socket s(io);
            duplex::error_code ec;
            s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
            ready = !ec;
        }
        REQUIRE(ready);
    }
    ~tinyproxy() { ::unlink(config.c_str()); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};
} // namespace

TEST_CASE("IPv6: a server on ::1 and a client with a [::1] URL", "[integration][ipv6]") {
    io_thread thread;
    duplex::server server{thread.io};
    stop_before_destruction stop_first{thread};
    std::string remote;
    server.route("/echo").on_message = [&remote](const auto& c, const duplex::message& m) {
        remote = c->remote_address();
        c->send(m.kind, m.data);
    };
    REQUIRE_FALSE(server.listen(0, "::1"));
    asio::io_context io{1};
    duplex::client client{io};
    const auto [got, error] = echo_once(client, io, "ws://[::1]:" + std::to_string(server.port()) + "/echo");
    CHECK_FALSE(error);
    CHECK(got == "round trip");
    CHECK(remote == "::1");
}

TEST_CASE("the client through a real HTTP CONNECT proxy (tinyproxy): ws, wss, and a refusal", "[integration][proxy]") {
    test_pki pki;
    io_thread thread;
    duplex::server plain{thread.io};
    auto server_context = duplex::tls::make_server_context(pki.file("server.pem"), pki.file("server.key"));
    duplex::tls_server secure{thread.io, server_context};
    duplex::server forbidden{thread.io};
    stop_before_destruction stop_first{thread};
    std::atomic<int> proxied{0};
    for (auto* s : {&plain, &forbidden})
        s->route("/echo").on_message = [&proxied](const auto& c, const duplex::message& m) {
            ++proxied;
            c->send(m.kind, m.data);
        };
    secure.route("/echo").on_message = [&proxied](const auto& c, const duplex::message& m) {
        ++proxied;
        c->send(m.kind, m.data);
    };
    REQUIRE_FALSE(plain.listen(0, "127.0.0.1"));
    REQUIRE_FALSE(secure.listen(0, "127.0.0.1"));
    REQUIRE_FALSE(forbidden.listen(0, "127.0.0.1"));
    tinyproxy proxy({plain.port(), secure.port()});
    duplex::client_options via_proxy;
    via_proxy.proxy = proxy.url();

    SECTION("ws:// through the tunnel") {
        asio::io_context io{1};
        duplex::client client{io};
        const auto [got, error] =
            echo_once(client, io, "ws://127.0.0.1:" + std::to_string(plain.port()) + "/echo", via_proxy);
        CHECK_FALSE(error);
        CHECK(got == "round trip");
        CHECK(proxied == 1);
    }
    SECTION("wss:// through the tunnel, the certificate verified end to end") {
        asio::io_context io{1};
        auto client_context = duplex::tls::make_client_context(pki.file("ca.pem"));
        duplex::tls_client client{io, client_context};
        const auto [got, error] =
            echo_once(client, io, "wss://localhost:" + std::to_string(secure.port()) + "/echo", via_proxy);
        CHECK_FALSE(error);
        CHECK(got == "round trip");
        CHECK(proxied == 1);
    }
    SECTION("a CONNECT the proxy refuses (403) fails the connect") {
        asio::io_context io{1};
        duplex::client client{io};
        const auto [got, error] =
            echo_once(client, io, "ws://127.0.0.1:" + std::to_string(forbidden.port()) + "/echo", via_proxy);
        CHECK(error == duplex::error::handshake_failed);
        CHECK(got.empty());
        CHECK(proxied == 0);
    }
}

TEST_CASE("Unix domain sockets: ws+unix URLs", "[integration][unix]") {
    io_thread thread;
    duplex::unix_server server{thread.io};
    stop_before_destruction stop_first{thread};
    server.route("/echo").on_message = [](const auto& c, const duplex::message& m) { c->send(m.kind, m.data); };
    const std::string path = "/tmp/duplex-test-" + std::to_string(::getpid()) + ".sock";
    REQUIRE_FALSE(server.listen_unix(path));
    asio::io_context io{1};
    duplex::unix_client client{io};
    std::string got;
    duplex::unix_client::handlers_type h;
    h.on_open = [](const auto& c) { c->send_text("over a unix socket"); };
    h.on_message = [&](const auto& c, const duplex::message& m) {
        got = m.to_string();
        c->close();
    };
    run_client(io, client, "ws+unix:" + path + ":/echo", h);
    CHECK(got == "over a unix socket");
    ::unlink(path.c_str());
}

TEST_CASE("permessage-deflate between duplex endpoints", "[integration][deflate]") {
    io_thread thread;
    duplex::server server{thread.io};
    stop_before_destruction stop_first{thread};
    auto& echo = server.route("/echo");
    echo.on_message = [](const auto& c, const duplex::message& m) { c->send(m.kind, m.data); };
    echo.negotiate_extensions = duplex::extensions::deflate_negotiator();
    std::atomic<int> compressed_connections{0};
    echo.on_open = [&](const auto& c) { compressed_connections += c->extension() != nullptr; };
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
    for (bool no_context_takeover : {false, true}) {
        asio::io_context io{1};
        duplex::client client{io};
        duplex::client_options options;
        duplex::extensions::deflate_options deflate;
        deflate.no_context_takeover = no_context_takeover;
        deflate.request_no_context_takeover = no_context_takeover;
        duplex::extensions::enable_deflate(options, deflate);
        std::string json;
        for (int i = 0; i < 5000; ++i)
            json += R"({"id":)" + std::to_string(i) + R"(,"name":"user","online":true},)";
        int round = 0;
        bool negotiated = false;
        duplex::client::handlers_type h;
        h.on_open = [&](const auto& c) {
            negotiated = c->extension() != nullptr;
            c->send_text(json);
        };
        h.on_message = [&](const auto& c, const duplex::message& m) {
            REQUIRE(m.data == json);
            if (++round < 5)
                c->send_text(json);
            else
                c->close();
        };
        run_client(io, client, "ws://127.0.0.1:" + std::to_string(server.port()) + "/echo", h, options);
        CHECK(round == 5);
        CHECK(negotiated);
    }
    CHECK(compressed_connections == 2);
}

TEST_CASE("a decompression bomb closes with 1009 and memory stays bounded", "[integration][deflate][attacks]") {
    io_thread thread;
    duplex::server server{thread.io};
    stop_before_destruction stop_first{thread};
    auto& echo = server.route("/echo");
    echo.options.max_message_size = 1 << 20; // 1 MiB after inflation
    echo.negotiate_extensions = duplex::extensions::deflate_negotiator();
    std::atomic<int> messages{0};
    echo.on_message = [&](const auto&, const duplex::message&) { ++messages; };
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));

    // 256 MiB of zeros deflate to about 250 KiB.
    std::string compressed;
    {
        z_stream z{};
        REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) == Z_OK);
        std::string zeros(1 << 20, '\0');
        std::string out(1 << 20, '\0');
        for (int i = 0; i < 256; ++i) {
            z.next_in = reinterpret_cast<Bytef*>(zeros.data());
            z.avail_in = static_cast<uInt>(zeros.size());
            do {
                z.next_out = reinterpret_cast<Bytef*>(out.data());
                z.avail_out = static_cast<uInt>(out.size());
                deflate(&z, i == 255 ? Z_SYNC_FLUSH : Z_NO_FLUSH);
                compressed.append(out.data(), out.size() - z.avail_out);
            } while (z.avail_out == 0);
        }
        deflateEnd(&z);
        compressed.resize(compressed.size() - 4); // RFC 7692: drop 00 00 ff ff
    }
    REQUIRE(compressed.size() < 1024 * 1024);
    const auto rss_kib = [] {
        std::ifstream status("/proc/self/status");
        std::string line;
        while (std::getline(status, line))
            if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
        return 0L;
    };
    const long before = rss_kib();
    raw_client raw(server.port());
    const auto head = raw.upgrade("/echo", "Sec-WebSocket-Extensions: permessage-deflate\r\n");
    REQUIRE(head.find("101") != std::string::npos);
    REQUIRE(head.find("permessage-deflate") != std::string::npos);
    raw.send(client_frame(0x2, compressed, true, 0x40));
    CHECK(raw.read_close_code() == 1009);
    CHECK(messages == 0);
    CHECK(rss_kib() - before < 64 * 1024); // far below the 256 MiB the bomb would inflate to
}

TEST_CASE("a message can skip compression on a deflate connection", "[integration][deflate]") {
    io_thread thread;
    duplex::server server{thread.io};
    stop_before_destruction stop_first{thread};
    auto& ep = server.route("/send");
    ep.negotiate_extensions = duplex::extensions::deflate_negotiator();
    const std::string body(1000, 'c');
    ep.on_open = [&](const auto& c) {
        c->send(duplex::message_kind::text, body, {}, false); // e.g. already-compressed data
        c->send(duplex::message_kind::text, body);
    };
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
    raw_client raw(server.port());
    REQUIRE(raw.upgrade("/send", "Sec-WebSocket-Extensions: permessage-deflate\r\n").find("101") != std::string::npos);
    const auto plain = raw.read_frame();
    CHECK(plain.first == 1);
    CHECK(plain.second == body);
    CHECK(raw.last_rsv == 0);
    const auto compressed = raw.read_frame();
    CHECK(compressed.first == 1);
    CHECK(raw.last_rsv == 0x40);
    CHECK(compressed.second.size() < 100); // 1000 repeated bytes deflate to a few
}

namespace {
// Raw inflate of one permessage-deflate message (RFC 7692 7.2.2).
std::string inflate_message(std::string payload, int window_bits) {
    payload.append("\x00\x00\xff\xff", 4);
    z_stream z{};
    REQUIRE(inflateInit2(&z, -window_bits) == Z_OK);
    std::string out(1 << 20, '\0');
    z.next_in = reinterpret_cast<Bytef*>(payload.data());
    z.avail_in = static_cast<uInt>(payload.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&z, Z_SYNC_FLUSH);
    out.resize(out.size() - z.avail_out);
    inflateEnd(&z);
    CHECK((rc == Z_OK || rc == Z_BUF_ERROR || rc == Z_STREAM_END)); // the last: a final block (libdeflate)
    return out;
}
} // namespace

TEST_CASE("a prepared message is compressed once per deflate parameter set", "[integration][deflate][broadcast]") {
    io_thread thread;
    duplex::server server{thread.io};
    stop_before_destruction stop_first{thread};
    auto& ep = server.route("/feed");
    duplex::extensions::deflate_options takeover; // unless a client asks for server_no_context_takeover
    takeover.no_context_takeover = false;
    ep.negotiate_extensions = duplex::extensions::deflate_negotiator(takeover);
    std::mutex mutex;
    std::map<std::string, duplex::server::connection_ptr> opened;
    ep.on_open = [&](const auto& c) {
        std::lock_guard<std::mutex> lock(mutex);
        opened[c->target()] = c;
    };
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));

    struct peer {
        const char* target;
        const char* offer;
        bool compressed;
        int window_bits;
    };
    const peer peers[] = {
        {"/feed?a", "permessage-deflate; server_no_context_takeover", true, 15},
        {"/feed?b", "permessage-deflate; server_no_context_takeover", true, 15},
        {"/feed?c", "permessage-deflate; server_no_context_takeover; server_max_window_bits=10", true, 10},
        {"/feed?d", "permessage-deflate", true, 15}, // context takeover: compressed by the connection itself
        {"/feed?e", nullptr, false, 15},
    };
    std::vector<std::unique_ptr<raw_client>> clients;
    for (const auto& p : peers) {
        clients.push_back(std::make_unique<raw_client>(server.port()));
        const std::string extra = p.offer ? std::string("Sec-WebSocket-Extensions: ") + p.offer + "\r\n" : "";
        REQUIRE(clients.back()->upgrade(p.target, extra).find("101") != std::string::npos);
    }
    for (int i = 0; i < 200; ++i) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (opened.size() == 5) break;
        }
        std::this_thread::sleep_for(10ms);
    }
    REQUIRE(opened.size() == 5);

    std::string json;
    for (int i = 0; i < 100; ++i)
        json += R"({"symbol":"ABC","price":)" + std::to_string(100 + i) + "},";
    const auto message = duplex::prepared_message::text(json);
    for (int round = 0; round < 2; ++round)
        for (const auto& p : peers)
            opened.at(p.target)->send(message); // from this thread, not the server's
    for (int round = 0; round < 2; ++round) {
        for (std::size_t i = 0; i < clients.size(); ++i) {
            INFO(peers[i].target << " round " << round);
            const auto frame = clients[i]->read_frame();
            CHECK(frame.first == 1);
            if (peers[i].compressed) {
                CHECK(clients[i]->last_rsv == 0x40);
                CHECK(frame.second.size() < json.size() / 2);
                // The context-taking-over connection's second message may refer back to its first.
                if (peers[i].target != std::string("/feed?d"))
                    CHECK(inflate_message(frame.second, peers[i].window_bits) == json);
            } else {
                CHECK(clients[i]->last_rsv == 0);
                CHECK(frame.second == json);
            }
        }
    }
    // One encoding for a and b (shared), one for c (smaller window); d compresses itself.
    CHECK(message->encodings() == 2);
}

TEST_CASE("by default each message is compressed on its own both ways, so a server holds no zlib stream",
          "[integration][deflate]") {
    io_thread thread;
    duplex::server server{thread.io};
    stop_before_destruction stop_first{thread};
    auto& ep = server.route("/feed");
    ep.negotiate_extensions = duplex::extensions::deflate_negotiator();
    ep.options.max_message_size = std::numeric_limits<std::size_t>::max(); // no limit (none to add 1 to)
    std::string json;
    for (int i = 0; i < 40; ++i)
        json += R"({"symbol":"ABC","price":)" + std::to_string(100 + i) + "},"; // about 1 KiB
    std::atomic<bool> held_compressor{true}, held_inflater{true};
    std::mutex mutex;
    std::vector<std::string> received;
    ep.on_open = [&](const auto& c) {
        for (int i = 0; i < 3; ++i)
            c->send_text(json);
        const auto* d = dynamic_cast<const duplex::extensions::permessage_deflate*>(c->extension());
        held_compressor = d == nullptr || d->holds_deflater();
    };
    ep.on_message = [&](const auto& c, const duplex::message& m) {
        const auto* d = dynamic_cast<const duplex::extensions::permessage_deflate*>(c->extension());
        held_inflater = d == nullptr || d->holds_inflater();
        std::lock_guard<std::mutex> lock(mutex);
        received.emplace_back(m.data);
    };
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
    raw_client raw(server.port());
    // As a browser offers it: nothing about context takeover.
    const auto head = raw.upgrade("/feed", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
    REQUIRE(head.find(" 101 ") != std::string::npos);
    CHECK(head.find("server_no_context_takeover") != std::string::npos);
    CHECK(head.find("client_no_context_takeover") != std::string::npos); // nor an inflater (RFC 7692 7.1.1.2)
    for (int i = 0; i < 3; ++i) {
        const auto frame = raw.read_frame();
        CHECK(frame.first == 1);
        CHECK(raw.last_rsv == 0x40);
        CHECK(frame.second.size() < json.size() / 2);
        CHECK(inflate_message(frame.second, 15) == json); // each from a fresh inflater: no context needed
    }
    CHECK_FALSE(held_compressor.load());

    // The client's messages, each compressed on its own as it was told: a small
    // one, one that inflates to far more than its frame (200 KiB of one byte),
    // and one of invalid data (1007, as zlib alone would decide).
    const auto compress = [](const std::string& text) {
        z_stream z{};
        REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
        std::string out(text.size() + 64, '\0');
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
        z.avail_in = static_cast<uInt>(text.size());
        z.next_out = reinterpret_cast<Bytef*>(out.data());
        z.avail_out = static_cast<uInt>(out.size());
        REQUIRE(deflate(&z, Z_SYNC_FLUSH) == Z_OK);
        out.resize(out.size() - z.avail_out - 4); // without 00 00 FF FF (RFC 7692 7.2.1)
        deflateEnd(&z);
        return out;
    };
    const std::string large(200 * 1024, 'x');
    raw.send(client_frame(0x1, compress(json), true, 0x40));
    raw.send(client_frame(0x1, compress(large), true, 0x40));
    REQUIRE(eventually([&] {
        std::lock_guard<std::mutex> lock(mutex);
        return received.size() == 2;
    }));
    {
        std::lock_guard<std::mutex> lock(mutex);
        CHECK(received[0] == json);
        CHECK(received[1] == large);
    }
    CHECK_FALSE(held_inflater.load());
    raw.send(client_frame(0x1, std::string("\xff\xff\xff\xff", 4), true, 0x40)); // BTYPE 11: reserved
    CHECK(raw.read_close_code() == 1007);
}

TEST_CASE("a peer's message may end in a final DEFLATE block (BFINAL); later messages still decode",
          "[integration][deflate]") {
    io_thread thread;
    duplex::server server{thread.io};
    stop_before_destruction stop_first{thread};
    auto& ep = server.route("/in");
    duplex::extensions::deflate_options options;
    options.request_no_context_takeover = false; // a client may keep its context
    ep.negotiate_extensions = duplex::extensions::deflate_negotiator(options);
    std::mutex mutex;
    std::vector<std::string> received;
    ep.on_message = [&](const auto&, const duplex::message& m) {
        std::lock_guard<std::mutex> lock(mutex);
        received.emplace_back(m.data);
    };
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
    const auto count = [&] {
        std::lock_guard<std::mutex> lock(mutex);
        return received.size();
    };

    // One message through the client's compressor `z`: Z_SYNC_FLUSH without its
    // 00 00 FF FF (RFC 7692 7.2.1), or Z_FINISH, which ends the stream with a final block.
    const auto compress = [](z_stream& z, const std::string& text, int flush) {
        std::string out(text.size() + 64, '\0');
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
        z.avail_in = static_cast<uInt>(text.size());
        z.next_out = reinterpret_cast<Bytef*>(out.data());
        z.avail_out = static_cast<uInt>(out.size());
        REQUIRE(deflate(&z, flush) == (flush == Z_FINISH ? Z_STREAM_END : Z_OK));
        out.resize(out.size() - z.avail_out);
        if (flush == Z_SYNC_FLUSH) out.resize(out.size() - 4);
        return out;
    };
    const std::string texts[4] = {std::string(300, 'a') + "first", std::string(300, 'a') + "second, final block",
                                  std::string(300, 'b') + "third, a new stream",
                                  std::string(300, 'b') + "fourth, in two fragments"};
    for (const bool takeover : {true, false}) {
        INFO((takeover ? "client context takeover" : "client_no_context_takeover"));
        {
            std::lock_guard<std::mutex> lock(mutex);
            received.clear();
        }
        raw_client raw(server.port());
        const std::string offer = takeover ? "permessage-deflate" : "permessage-deflate; client_no_context_takeover";
        REQUIRE(raw.upgrade("/in", "Sec-WebSocket-Extensions: " + offer + "\r\n").find(" 101 ") != std::string::npos);
        z_stream z{};
        REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
        raw.send(client_frame(0x1, compress(z, texts[0], Z_SYNC_FLUSH), true, 0x40));
        if (!takeover) REQUIRE(deflateReset(&z) == Z_OK); // each message on its own
        // With takeover this one refers back to the first, then ends the stream.
        raw.send(client_frame(0x1, compress(z, texts[1], Z_FINISH), true, 0x40));
        REQUIRE(deflateReset(&z) == Z_OK); // a stream that ended starts afresh
        raw.send(client_frame(0x1, compress(z, texts[2], Z_SYNC_FLUSH), true, 0x40));
        if (!takeover) REQUIRE(deflateReset(&z) == Z_OK);
        const auto fourth = compress(z, texts[3], Z_SYNC_FLUSH);
        raw.send(client_frame(0x1, fourth.substr(0, fourth.size() / 2), false, 0x40)); // RSV1 on the first only
        raw.send(client_frame(0x0, fourth.substr(fourth.size() / 2), true, 0));
        deflateEnd(&z);
        REQUIRE(eventually([&] { return count() == 4; }));
        std::lock_guard<std::mutex> lock(mutex);
        for (int i = 0; i < 4; ++i)
            CHECK(received[static_cast<std::size_t>(i)] == texts[i]);
    }
}

TEST_CASE("invalid compressed data closes with 1007 whole or fragmented, never decoded leniently",
          "[integration][deflate][attacks]") {
    io_thread thread;
    duplex::server server{thread.io};
    stop_before_destruction stop_first{thread};
    auto& ep = server.route("/in");
    ep.negotiate_extensions = duplex::extensions::deflate_negotiator();
    std::atomic<int> messages{0};
    ep.on_message = [&](const auto&, const duplex::message&) { ++messages; };
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));

    // A well-formed message cut inside its block: zlib alone would return the
    // part it decoded and wait for more.
    std::string cut;
    {
        std::string text;
        for (int i = 0; i < 200; ++i)
            text += std::to_string(i * 7919 % 1000) + ",";
        z_stream z{};
        REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
        std::string out(text.size() + 64, '\0');
        z.next_in = reinterpret_cast<Bytef*>(text.data());
        z.avail_in = static_cast<uInt>(text.size());
        z.next_out = reinterpret_cast<Bytef*>(out.data());
        z.avail_out = static_cast<uInt>(out.size());
        REQUIRE(deflate(&z, Z_SYNC_FLUSH) == Z_OK);
        deflateEnd(&z);
        out.resize(out.size() - z.avail_out - 4);
        cut = out.substr(0, out.size() / 2);
    }
    const struct {
        const char* what;
        std::string payload;
    } cases[] = {
        // Found by fuzzing: libdeflate decodes these to messages, zlib rejects them.
        {"the reserved fixed length code 286/287", std::string("\x3b\xcb\x3b\x06\x00", 5)},
        {"a final block that runs on into the removed 00 00 FF FF", std::string("\x2b\x27", 2)},
        {"a message cut inside a block", cut},
    };
    for (const auto& c : cases) {
        for (const bool fragmented : {false, true}) {
            INFO(c.what << (fragmented ? ", in two fragments" : ", in one frame"));
            raw_client raw(server.port());
            REQUIRE(raw.upgrade("/in", "Sec-WebSocket-Extensions: permessage-deflate\r\n").find(" 101 ") !=
                    std::string::npos);
            if (fragmented) {
                raw.send(client_frame(0x2, c.payload.substr(0, 1), false, 0x40));
                raw.send(client_frame(0x0, c.payload.substr(1), true, 0));
            } else {
                raw.send(client_frame(0x2, c.payload, true, 0x40));
            }
            CHECK(raw.read_close_code() == 1007);
        }
    }
    CHECK(messages.load() == 0);
}
