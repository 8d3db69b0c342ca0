// The Asio server and client over real loopback sockets.
#include <duplex/duplex.hpp>

#include "support/catch.hpp"
#include "support/loopback.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace duplex_test;
using namespace std::chrono_literals;

namespace {
// Echo server on port 0 with a page at / and a rejecting route.
template <class Config = duplex::config::server>
struct echo_fixture {
    io_thread thread;
    duplex::basic_server<Config> server{thread.io};
    std::atomic<int> closes{0};
    std::atomic<int> last_close_code{0};
    std::uint16_t port = 0;
    stop_before_destruction stop_first{thread};

    echo_fixture() {
        auto& echo = server.route("/echo");
        echo.on_message = [](const auto& c, const duplex::message& m) { c->send(m.kind, m.data); };
        echo.on_close = [this](const auto&, const duplex::close_info& info) {
            last_close_code = info.code;
            ++closes;
        };
        auto& rooms = server.route("/rooms/{id}");
        rooms.on_open = [](const auto& c) { c->send_text("room " + std::string(c->param("id"))); };
        auto& guarded = server.route("/guarded");
        guarded.on_upgrade = [](auto& request) {
            static const duplex::origin_allowlist allowed{"https://good.example"};
            if (!allowed(request.origin())) request.reject(403, "origin not allowed");
        };
        server.on_http([](const duplex::handshake::http_request& request) {
            duplex::http_response r;
            if (request.path() == "/")
                r.body = "hello page";
            else
                r.status = 404;
            return r;
        });
        REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
        port = server.port();
    }
    std::string url(const std::string& path = "/echo") const { return "ws://127.0.0.1:" + std::to_string(port) + path; }
};

// Run a duplex client on its own io_context until it finishes (bounded).
struct client_run {
    asio::io_context io{1};
    duplex::client client{io};
    void run() { io.run_for(20s); } // returns when the connections are done, or after 20 s
};
} // namespace

TEST_CASE("duplex client and server echo messages of every size", "[integration]") {
    echo_fixture<> f;
    client_run c;
    const std::size_t sizes[] = {0, 1, 125, 126, 65535, 65536, 1 << 20};
    std::size_t index = 0;
    bool binary = false;
    int matched = 0;
    std::string expected;
    duplex::client::handlers_type h;
    const auto next = [&](const duplex::client::connection_ptr& conn) {
        if (index == std::size(sizes)) return conn->close(4001, "bye");
        expected.assign(sizes[index], binary ? '\xab' : 'q');
        conn->send(binary ? duplex::message_kind::binary : duplex::message_kind::text, expected);
        if (binary) ++index;
        binary = !binary;
    };
    h.on_open = next;
    h.on_message = [&](const auto& conn, const duplex::message& m) {
        if (m.data == expected) ++matched;
        next(conn);
    };
    duplex::close_info seen;
    h.on_close = [&](const auto&, const duplex::close_info& info) { seen = info; };
    c.client.connect(f.url(), h);
    c.run();
    CHECK(matched == 2 * static_cast<int>(std::size(sizes)));
    CHECK(seen.code == 4001); // the server echoed our code
    CHECK(seen.clean);
    for (int i = 0; i < 200 && f.closes == 0; ++i)
        std::this_thread::sleep_for(10ms);
    CHECK(f.last_close_code == 4001);
}

TEST_CASE("async_send completes an Asio completion token once written, or with error::closed", "[integration]") {
    echo_fixture<> f;
    client_run c;
    std::vector<duplex::error_code> completions;
    std::string echoed;
    bool completed_inline = false;
    duplex::client::handlers_type h;
    h.on_open = [&](const duplex::client::connection_ptr& conn) {
        auto returned = std::make_shared<bool>(false);
        conn->async_send(duplex::message_kind::text, "by token", [&, returned](duplex::error_code ec) {
            completed_inline = !*returned;
            completions.push_back(ec);
        });
        *returned = true;
    };
    h.on_message = [&](const duplex::client::connection_ptr& conn, const duplex::message& m) {
        echoed = std::string(m.data);
        conn->close();
        // After close() the connection refuses more: the token still completes, with the error.
        conn->async_send(duplex::message_kind::text, "too late",
                         [&](duplex::error_code ec) { completions.push_back(ec); });
    };
    c.client.connect(f.url(), h);
    c.run();
    CHECK(echoed == "by token");
    CHECK_FALSE(completed_inline);
    REQUIRE(completions.size() == 2);
    CHECK_FALSE(completions[0]);
    CHECK(completions[1] == duplex::condition::send_failed);
}

TEST_CASE("a client's limits come from client_options::limits, else its Config", "[integration]") {
    echo_fixture<> f;
    for (const bool tight : {true, false}) {
        INFO(tight);
        client_run c;
        duplex::close_info seen;
        int echoes = 0;
        duplex::client::handlers_type h;
        h.on_open = [](const duplex::client::connection_ptr& conn) { conn->send_text(std::string(200, 'x')); };
        h.on_message = [&](const duplex::client::connection_ptr& conn, const duplex::message&) {
            ++echoes;
            conn->close();
        };
        h.on_close = [&](const auto&, const duplex::close_info& info) { seen = info; };
        duplex::client_options options;
        if (tight) {
            auto limits = duplex::session_limits<duplex::config::client>();
            limits.max_message_size = 100; // the 200-byte echo is too large for this connection
            options.limits = limits;
        }
        c.client.connect(f.url(), h, options);
        c.run();
        CHECK(echoes == (tight ? 0 : 1));
        CHECK(seen.code == (tight ? duplex::close_code::message_too_big : duplex::close_code::normal));
    }
}

TEST_CASE("handshakes that are not acceptable get their HTTP status", "[integration][handshake]") {
    echo_fixture<> f;
    const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    const auto status = [&](const std::string& request) {
        raw_client raw(f.port);
        raw.send(request);
        return raw.read_status();
    };
    CHECK(status("GET /nowhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
                 "Sec-WebSocket-Version: 13\r\n\r\n") == 404);
    CHECK(status("POST /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
                 "Sec-WebSocket-Version: 13\r\n\r\n") == 405);
    CHECK(status("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
                 "Sec-WebSocket-Version: 8\r\n\r\n") == 426);
    CHECK(status("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n" + key +
                 "Sec-WebSocket-Version: 13\r\n\r\n") == 400); // no Connection: upgrade
    CHECK(status("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n") == 400); // no key
    CHECK(status("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n" + key +
                 "Sec-WebSocket-Version: 13\r\n\r\n") == 400); // an upgrade attempt without Upgrade
    std::string many = "GET /echo HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 2000; ++i)
        many += "X-" + std::to_string(i) + ": y\r\n";
    CHECK(status(many + "\r\n") == 431);
    CHECK(status("GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n") == 431);
    CHECK(status("GET /guarded HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
                 "Sec-WebSocket-Version: 13\r\nOrigin: https://evil.example\r\n\r\n") == 403);
    CHECK(status("GET /guarded HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
                 "Sec-WebSocket-Version: 13\r\nOrigin: https://good.example\r\n\r\n") == 101);
    CHECK(status("GET / HTTP/1.1\r\nHost: x\r\n\r\n") == 200);
    CHECK(status("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n") == 404);
    // The server still serves after all of that.
    raw_client ok(f.port);
    CHECK(ok.upgrade().find("HTTP/1.1 101") == 0);
}

TEST_CASE("protocol violations close with the RFC code and the server keeps serving", "[integration][attacks]") {
    echo_fixture<> f;
    const auto close_code_for = [&](const std::string& frames) {
        raw_client raw(f.port);
        REQUIRE(raw.upgrade().find("101") != std::string::npos);
        raw.send(frames);
        const int code = raw.read_close_code();
        CHECK(raw.closed_by_peer());
        return code;
    };
    CHECK(close_code_for(server_frame(0x1, "unmasked")) == 1002);
    CHECK(close_code_for(client_frame(0x1, "x", true, 0x40)) == 1002); // RSV1 with no extension
    CHECK(close_code_for(client_frame(0x3, "x")) == 1002);             // reserved opcode
    CHECK(close_code_for(client_frame(0x9, "x", false)) == 1002);      // fragmented ping
    CHECK(close_code_for(client_frame(0x9, std::string(126, 'x'))) == 1002);
    CHECK(close_code_for(client_frame(0x8, "\x03")) == 1002); // 1-byte close payload
    CHECK(close_code_for(client_frame(0x8, close_payload(1005))) == 1002);
    CHECK(close_code_for(client_frame(0x8, close_payload(1000, std::string(124, 'r')))) == 1002);
    CHECK(close_code_for(client_frame(0x8, close_payload(1000, "\xff"))) == 1007);
    CHECK(close_code_for(client_frame(0x1, "\xed\xa0\x80")) == 1007);
    CHECK(close_code_for(bytes({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4})) == 1009);
    CHECK(close_code_for(bytes({0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4})) == 1009);
    std::string flood = client_frame(0x2, "x", false);
    for (int i = 0; i < 5000; ++i)
        flood += client_frame(0x0, "x", false); // 1-byte fragment flood
    CHECK(close_code_for(flood) == 1009);
    // No handler saw data from any of these, and others are still served.
    raw_client ok(f.port);
    REQUIRE(ok.upgrade().find("101") != std::string::npos);
    ok.send(client_frame(0x1, "still here"));
    CHECK(ok.read_frame() == std::pair<int, std::string>{1, "still here"});
}

TEST_CASE("routes capture path parameters; subprotocols are negotiated", "[integration]") {
    echo_fixture<> f;
    f.server.route("/proto").on_upgrade = [](auto& request) {
        request.accept(duplex::handshake::select_subprotocol(request.subprotocols(), {"v2.chat", "v1.chat"}));
    };
    client_run c;
    std::string room_message, protocol;
    duplex::client::handlers_type rooms;
    rooms.on_message = [&](const auto& conn, const duplex::message& m) {
        room_message = m.to_string();
        conn->close();
    };
    c.client.connect(f.url("/rooms/42"), rooms);
    duplex::client::handlers_type proto;
    proto.on_open = [&](const auto& conn) {
        protocol = conn->subprotocol();
        conn->close();
    };
    duplex::client_options options;
    options.subprotocols = {"v1.chat", "v2.chat"};
    c.client.connect(f.url("/proto"), proto, options);
    c.run();
    CHECK(room_message == "room 42");
    CHECK(protocol == "v2.chat");
}

TEST_CASE("an upgrade decided later, from another thread", "[integration]") {
    echo_fixture<> f;
    std::thread decider;
    std::promise<std::shared_ptr<duplex::upgrade_request<duplex::server::connection_type>>> pending;
    f.server.route("/later").on_upgrade = [&](auto& request) { pending.set_value(request.defer()); };
    raw_client raw(f.port);
    raw.send("GET /later HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    auto deferred = pending.get_future().get();
    std::thread([deferred] {
        std::this_thread::sleep_for(50ms); // an asynchronous lookup
        deferred->reject(401, "bad token");
    }).join();
    CHECK(raw.read_status() == 401);
}

namespace {
struct short_timers : duplex::config::server {
    static constexpr std::chrono::milliseconds handshake_timeout{300};
    static constexpr std::chrono::milliseconds idle_timeout{200};
    static constexpr std::chrono::milliseconds pong_timeout{300};
    static constexpr std::chrono::milliseconds park_after{100};
    static constexpr std::size_t max_connections = 3;
};
struct small_queue : duplex::config::server {
    static constexpr std::size_t send_queue_limit = 256 * 1024;
};
} // namespace

TEST_CASE("timers: slow handshakes and silent peers are closed; keepalive keeps live ones", "[integration][timers]") {
    echo_fixture<short_timers> f;
    raw_client slowloris(f.port);
    slowloris.send("GET /echo HTTP/1.1\r\nHost: x\r\n"); // and never the rest
    const auto start = std::chrono::steady_clock::now();
    CHECK(slowloris.closed_by_peer());
    CHECK(std::chrono::steady_clock::now() - start < 3s);

    raw_client silent(f.port);
    REQUIRE(silent.upgrade().find("101") != std::string::npos);
    // The server pings after the idle time; a peer that never answers is dropped.
    const auto ping = silent.read_frame();
    CHECK(ping.first == 0x9);
    CHECK(silent.closed_by_peer());

    client_run c;
    int pings_answered = 0;
    duplex::client::handlers_type h;
    h.on_ping = [&](const auto&, std::string_view) { ++pings_answered; };
    h.on_open = [&](const auto& conn) {
        auto timer = std::make_shared<asio::steady_timer>(c.io, 1200ms);
        timer->async_wait([timer, conn](duplex::error_code) { conn->close(); });
    };
    duplex::close_info info;
    h.on_close = [&](const auto&, const duplex::close_info& i) { info = i; };
    c.client.connect(f.url(), h);
    c.run();
    CHECK(pings_answered >= 2); // auto-pong kept it alive through several idle periods
    CHECK(info.code == 1000);
}

namespace {
struct ticking : duplex::config::server {
    static constexpr std::chrono::milliseconds idle_timeout{300};
    static constexpr std::chrono::milliseconds pong_timeout{2000};
    static constexpr std::chrono::milliseconds park_after{100};
};
} // namespace

TEST_CASE("one timer per io_context serves every connection's deadlines", "[integration][timers]") {
    echo_fixture<ticking> f;
    auto& deadlines = duplex::detail::deadline_service::of(f.thread.io.get_executor());
    constexpr int n = 40;
    std::vector<std::unique_ptr<raw_client>> peers;
    for (int i = 0; i < n; ++i) {
        peers.push_back(std::make_unique<raw_client>(f.port));
        REQUIRE(peers.back()->upgrade().find("101") != std::string::npos);
    }
    // Every open connection has its tick in the one table.
    CHECK(eventually([&] { return deadlines.size() == static_cast<std::size_t>(n); }));
    // All of them go quiet: each is parked and then pinged from that table's sweeps.
    int pinged = 0;
    for (auto& p : peers)
        pinged += p->read_frame().first == 0x9 ? 1 : 0;
    CHECK(pinged == n);
    // They are still served after the ping (parked connections wake up).
    peers.front()->send(duplex_test::client_frame(0x1, "still here"));
    CHECK(peers.front()->read_frame() == std::make_pair(0x1, std::string("still here")));
    // Closed connections leave no entry behind.
    peers.clear();
    CHECK(eventually([&] { return deadlines.size() == 0; }));
    CHECK(eventually([&] { return f.server.connection_count() == 0; }));
}

namespace {
struct slow_ticking_client : duplex::config::client {
    static constexpr std::chrono::milliseconds idle_timeout{30'000};
    static constexpr std::chrono::milliseconds park_after{30'000};
    static constexpr std::chrono::milliseconds close_timeout{30'000};
};
} // namespace

TEST_CASE("io_context::run() returns once the last connection is done; no timer holds it", "[integration][timers]") {
    echo_fixture<> f;
    asio::io_context io{1};
    duplex::basic_client<slow_ticking_client> client{io};
    duplex::basic_client<slow_ticking_client>::handlers_type h;
    std::atomic<int> echoed{0};
    h.on_open = [](const auto& c) { c->send_text("once"); };
    h.on_message = [&](const auto& c, const duplex::message& m) {
        if (m.data == "once") ++echoed;
        c->close(1000, "done");
    };
    client.connect(f.url(), h);
    // Its deadlines are 30 s away when it closes; run() must not wait for them.
    auto ran = std::async(std::launch::async, [&] { io.run(); });
    const bool returned = ran.wait_for(10s) == std::future_status::ready;
    if (!returned) io.stop();
    ran.wait();
    CHECK(returned);
    CHECK(echoed == 1);
    CHECK(duplex::detail::deadline_service::of(io.get_executor()).size() == 0);
}

namespace {
struct parks_soon : duplex::config::server {
    static constexpr std::chrono::milliseconds idle_timeout{30'000};
    static constexpr std::chrono::milliseconds park_after{100};
};
struct keeps_reading : duplex::config::server {
    static constexpr std::chrono::milliseconds idle_timeout{30'000};
};

// The io thread runs nothing else until release(): bytes the peer sends in the
// meantime reach the server together, in one readiness report.
struct io_blocker {
    std::promise<void> running, go;
    explicit io_blocker(asio::io_context& io) {
        asio::post(io, [this] {
            running.set_value();
            go.get_future().wait_for(5s);
        });
        running.get_future().wait();
    }
    void release() { go.set_value(); }
};

template <class Config>
void message_then_fin_together(bool parked) {
    io_thread thread;
    duplex::basic_server<Config> server{thread.io};
    std::atomic<int> messages{0}, closes{0}, close_code{0};
    // A route that never answers: nothing the server writes (and no ACK of
    // it) makes the socket report readiness again.
    auto& sink = server.route("/sink");
    sink.on_message = [&](const auto&, const duplex::message&) { ++messages; };
    sink.on_close = [&](const auto&, const duplex::close_info& info) {
        close_code = info.code;
        ++closes;
    };
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
    stop_before_destruction stop_first{thread};
    raw_client peer(server.port());
    REQUIRE(peer.upgrade("/sink").find("101") != std::string::npos);
    peer.send(client_frame(0x1, "first"));
    REQUIRE(eventually([&] { return messages == 1; }));
    if (parked) std::this_thread::sleep_for(400ms); // past park_after and a tick: the connection parks
    io_blocker blocker(thread.io);
    peer.send(client_frame(0x1, "last"));
    peer.shutdown_send(); // the FIN arrives behind the message, before the server looks
    std::this_thread::sleep_for(50ms);
    blocker.release();
    // Both are seen: the message, and at once the end (1006, no close frame
    // came), not after 30 s of silence and a keepalive ping.
    CHECK(eventually([&] { return closes == 1; }, 5s));
    CHECK(messages == 2);
    CHECK(close_code == 1006);
    CHECK(peer.closed_by_peer());
}
} // namespace

TEST_CASE("a message and the peer's FIN that arrive together are both seen", "[integration][attacks]") {
    // One readiness report for both (epoll is edge-triggered): the read that
    // takes the message may take the FIN with it, and the end must still be
    // noticed, whether the connection reads into its own buffer or is parked
    // (waits for readiness, then reads through the thread's scratch buffer).
    SECTION("an active connection") {
        message_then_fin_together<keeps_reading>(false);
    }
    SECTION("a parked connection") {
        message_then_fin_together<parks_soon>(true);
    }
}

TEST_CASE("a large message goes out from the caller's buffer; what the socket does not take is queued in order",
          "[integration][limits]") {
    io_thread thread;
    duplex::server server{thread.io};
    stop_before_destruction stop_first{thread};
    std::string big(4 * 1024 * 1024, '\0');
    for (std::size_t i = 0; i < big.size(); ++i)
        big[i] = static_cast<char>(i * 7 + i / 4096);
    std::promise<std::size_t> queued_after_big;
    auto& route = server.route("/big");
    route.on_message = [&](const auto& c, const duplex::message&) { // the 101 response is out by now
        std::string copy = big; // the caller's buffer may change as soon as send() returns
        c->send_binary(copy);
        std::fill(copy.begin(), copy.end(), 'x');
        queued_after_big.set_value(c->buffered_amount());
        c->send_text("after");
        c->send_binary(std::string(20 * 1024, 'z')); // queued behind: the queue is not empty
    };
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
    raw_client peer(server.port());
    REQUIRE(peer.upgrade("/big").find("101") != std::string::npos);
    peer.send(duplex_test::client_frame(0x1, "go"));
    const auto queued = queued_after_big.get_future().get();
    // A loopback socket takes some of 4 MiB at once, not all of it: the rest waits in the queue.
    CHECK(queued > 0);
    CHECK(queued < big.size());
    std::this_thread::sleep_for(100ms); // the server's socket buffer stays full for a while
    const auto first = peer.read_frame();
    CHECK(first.first == 0x2);
    CHECK(first.second.size() == big.size());
    CHECK(first.second == big);
    CHECK(peer.read_frame() == std::make_pair(0x1, std::string("after")));
    CHECK(peer.read_frame() == std::make_pair(0x2, std::string(20 * 1024, 'z')));
}

TEST_CASE("max_connections answers 503 and established connections are unaffected", "[integration][limits]") {
    echo_fixture<short_timers> f; // max_connections = 3
    std::vector<std::unique_ptr<raw_client>> open;
    for (int i = 0; i < 3; ++i) {
        open.push_back(std::make_unique<raw_client>(f.port));
        REQUIRE(open.back()->upgrade().find("101") != std::string::npos);
    }
    raw_client extra(f.port);
    CHECK(extra.upgrade().find("HTTP/1.1 503") == 0);
    open[0]->send(client_frame(0x1, "fine"));
    CHECK(open[0]->read_frame() == std::pair<int, std::string>{1, "fine"});
}

namespace {
struct handshake_rate : duplex::config::server {
    static constexpr double handshakes_per_second_per_address = 2;
    static constexpr double handshake_burst_per_address = 3;
};
} // namespace

TEST_CASE("the handshake rate per address answers 429 beyond its burst and recovers", "[integration][limits]") {
    echo_fixture<handshake_rate> f;
    std::vector<std::unique_ptr<raw_client>> open;
    for (int i = 0; i < 3; ++i) { // the burst
        open.push_back(std::make_unique<raw_client>(f.port));
        REQUIRE(open.back()->upgrade().find("101") != std::string::npos);
    }
    raw_client extra(f.port);
    const auto refused = extra.upgrade();
    CHECK(refused.find("HTTP/1.1 429") == 0);
    CHECK(refused.find("Retry-After: 1\r\n") != std::string::npos);
    // Plain HTTP requests are not handshakes and are not counted.
    raw_client page(f.port);
    page.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(page.read_status() != 429);
    open[0]->send(client_frame(0x1, "fine")); // established connections are unaffected
    CHECK(open[0]->read_frame() == std::pair<int, std::string>{1, "fine"});
    std::this_thread::sleep_for(std::chrono::milliseconds(600)); // 2 per second: one token back
    raw_client later(f.port);
    CHECK(later.upgrade().find("101") != std::string::npos);
}

TEST_CASE("a peer that never reads: the send queue stays at its cap", "[integration][limits]") {
    echo_fixture<small_queue> f;
    std::atomic<int> refused{0}, accepted{0};
    std::promise<void> done;
    f.server.route("/flood").on_open = [&](const auto& conn) {
        const std::string chunk(64 * 1024, 'z');
        for (int i = 0; i < 400; ++i) // 25 MiB at a peer that reads nothing
            conn->send_binary(chunk, [&](duplex::error_code ec) { ec ? ++refused : ++accepted; });
        done.set_value();
    };
    raw_client sink(f.port);
    REQUIRE(sink.upgrade("/flood").find("101") != std::string::npos);
    done.get_future().wait();
    CHECK(refused > 300); // failed at once with send_queue_full...
    std::this_thread::sleep_for(100ms);
    const auto buffered = f.thread.call([&] {
        std::size_t most = 0;
        f.server.for_each_connection([&](const auto& c) { most = std::max(most, c->buffered_amount()); });
        return most;
    });
    CHECK(buffered <= small_queue::send_queue_limit); // ...and memory stayed at the cap
}

TEST_CASE("buffered_amount counts what a handler queued at once", "[integration][limits]") {
    echo_fixture<> f;
    std::atomic<std::size_t> peak{0};
    f.server.route("/burst").on_open = [&](const auto& conn) {
        const std::string chunk(64 * 1024, 'd');
        for (int i = 0; i < 60; ++i) { // 3.75 MiB, more than the socket takes at once
            conn->send_binary(chunk);
            peak = std::max(peak.load(), conn->buffered_amount());
        }
    };
    raw_client sink(f.port);
    REQUIRE(sink.upgrade("/burst").find("101") != std::string::npos);
    int frames = 0;
    while (frames < 60 && sink.read_frame().first == 2)
        ++frames;
    CHECK(peak >= 59 * 64 * 1024); // each send is counted when it is queued, not after the handler
    CHECK(frames == 60);
}

namespace {
struct watermarks : duplex::config::server {
    static constexpr std::size_t send_queue_limit = 4 * 1024 * 1024;
    static constexpr std::size_t send_queue_high_watermark = 512 * 1024;
    static constexpr std::size_t send_queue_low_watermark = 64 * 1024;
};
} // namespace

TEST_CASE("on_drain runs once the queue falls from the high watermark to the low one", "[integration][limits]") {
    echo_fixture<watermarks> f;
    std::atomic<int> drains{0};
    std::atomic<std::size_t> at_drain{~std::size_t{0}};
    std::promise<void> drained;
    auto& ep = f.server.route("/drain");
    ep.on_open = [&](const auto& conn) {
        const std::string chunk(64 * 1024, 'd');
        for (int i = 0; i < 16; ++i) // 1 MiB: past the 512 KiB high watermark
            conn->send_binary(chunk);
    };
    ep.on_drain = [&](const auto& conn) {
        at_drain = conn->buffered_amount();
        if (++drains == 1) drained.set_value();
    };
    raw_client sink(f.port);
    REQUIRE(sink.upgrade("/drain").find("101") != std::string::npos);
    int frames = 0;
    while (frames < 16 && sink.read_frame().first == 2)
        ++frames;
    CHECK(frames == 16);
    // The write's completion may run after the reader has every byte: wait for the event.
    REQUIRE(drained.get_future().wait_for(5s) == std::future_status::ready);
    CHECK(at_drain <= watermarks::send_queue_low_watermark);
    // Small sends that never reach the high watermark again cause no second drain.
    f.thread.call([&] {
        f.server.for_each_connection([](const auto& c) { c->send_binary("small"); });
        return 0;
    });
    CHECK(sink.read_frame() == std::pair<int, std::string>{2, "small"});
    CHECK(drains == 1);
}

TEST_CASE("stop() closes every connection with 1001", "[integration]") {
    echo_fixture<> f;
    raw_client a(f.port), b(f.port);
    REQUIRE(a.upgrade().find("101") != std::string::npos);
    REQUIRE(b.upgrade().find("101") != std::string::npos);
    f.server.stop();
    CHECK(a.read_close_code() == 1001);
    CHECK(b.read_close_code() == 1001);
}

TEST_CASE("metrics count connections, messages, closes and rejections", "[integration][metrics]") {
    struct counted : duplex::config::server {
        using metrics = duplex::counter_metrics;
    };
    echo_fixture<counted> f;
    {
        raw_client raw(f.port);
        REQUIRE(raw.upgrade().find("101") != std::string::npos);
        raw.send(client_frame(0x1, "one") + client_frame(0x2, "two!") + client_frame(0x8, close_payload(1000)));
        CHECK(raw.read_close_code() == 1000);
        raw_client bad(f.port);
        bad.send("GET /nowhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        CHECK(bad.read_status() == 404);
    }
    for (int i = 0; i < 200 && f.server.metrics().closes(1000) == 0; ++i)
        std::this_thread::sleep_for(10ms);
    auto& m = f.server.metrics();
    CHECK(m.total_connections() == 1);
    CHECK(m.messages_in() == 2);
    CHECK(m.bytes_in() == 7);
    CHECK(m.messages_out() == 2);
    CHECK(m.closes(1000) == 1);
    CHECK(m.rejected(404) == 1);
    const auto text = m.prometheus();
    CHECK(text.find("duplex_messages_received_total 2\n") != std::string::npos);
    CHECK(text.find("duplex_closes_total{code=\"1000\"} 1\n") != std::string::npos);
}
