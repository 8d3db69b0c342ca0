// Interoperability with real peers, over loopback: Python websockets and Node
// ws as servers for duplex's client and as clients of duplex's server, and the
// echo_server example driven by Python and stopped with SIGTERM.
//
// The peers are programs in peers/; each prints one line per check. A missing
// peer fails the test (run cmake/install-deps.sh), it never skips it.
#include <duplex/duplex.hpp>

#include "interop/process.hpp"
#include "support/catch.hpp"
#include "support/loopback.hpp"

#include <unistd.h>

#include <chrono>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#if !defined(DUPLEX_INTEROP_DIR) || !defined(DUPLEX_PYTHON) || !defined(DUPLEX_NODE)
#error "define DUPLEX_INTEROP_DIR, DUPLEX_PYTHON and DUPLEX_NODE (tests/interop/CMakeLists.txt does)"
#endif

using duplex_test::child_process;
using namespace std::chrono_literals;

namespace {

const std::string interop_dir = DUPLEX_INTEROP_DIR;
const std::string python = DUPLEX_PYTHON;
const std::string node = DUPLEX_NODE;
constexpr std::size_t sizes[] = {0, 125, 126, 65535, 65536, 1 << 20}; // RFC 6455 5.2 length forms

std::string peer(const std::string& name) {
    return interop_dir + "/peers/" + name;
}

void require_python_websockets() {
    INFO("Python websockets is missing for '" << python << "': run cmake/install-deps.sh");
    child_process probe({python, "-c", "import websockets"});
    const auto status = probe.wait_for_exit(20s);
    REQUIRE(child_process::exited_with(status, 0));
}

void require_node_ws() {
    INFO("Node or its ws package is missing (node '" << node << "', " << interop_dir
                                                     << "/node_modules/ws): run cmake/install-deps.sh");
    REQUIRE(::access(node.c_str(), X_OK) == 0);
    REQUIRE(::access((interop_dir + "/node_modules/ws/package.json").c_str(), R_OK) == 0);
}

/// Valid UTF-8 of exactly `size` bytes: a, é, €, 😀 (1 to 4 bytes each), ASCII padding.
std::string utf8_text(std::size_t size) {
    static constexpr std::string_view unit = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    std::string text;
    text.reserve(size);
    while (text.size() + unit.size() <= size)
        text += unit;
    text.append(size - text.size(), 'a');
    return text;
}

/// Bytes that are not valid UTF-8 (0xFF and friends), so a kind mix-up shows.
std::string binary_bytes(std::size_t size) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        bytes[i] = static_cast<char>((i * 31) & 0xFF);
    return bytes;
}

/// One item per line, for test messages.
std::string lines(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items)
        text += "\n  " + item;
    return text;
}

std::string describe(const duplex::close_info& info) {
    return std::to_string(info.code) + " '" + info.reason + "'" + (info.clean ? " clean" : " not clean") +
           (info.protocol_error ? " protocol error" : "");
}

// ---- duplex client -> peer echo server ----------------------------------------------

// Against a peer echo server at ws://ADDRESS: every size as text and binary,
// ping/pong, a close the peer starts on request, and a close we start.
void duplex_client_against(child_process& server, const std::string& name) {
    const std::string address = server.wait_for_listening(20s);
    INFO(name << " said: " << server.output());
    REQUIRE_FALSE(address.empty());
    const std::string url = "ws://" + address + "/echo";

    asio::io_context io{1};
    duplex::client client{io};

    std::vector<std::pair<duplex::message_kind, std::string>> plan;
    for (const auto size : sizes) {
        plan.emplace_back(duplex::message_kind::text, utf8_text(size));
        plan.emplace_back(duplex::message_kind::binary, binary_bytes(size));
    }
    std::size_t in_flight = 0, matched = 0;
    std::vector<std::string> mismatches, errors;
    std::optional<std::string> pong;
    std::optional<duplex::close_info> peer_closed;

    duplex::client::handlers_type h;
    h.on_open = [&](const auto& c) { c->send(plan[0].first, plan[0].second); };
    h.on_message = [&](const auto& c, const duplex::message& m) {
        if (in_flight == plan.size()) return mismatches.push_back("unexpected message after the last echo");
        const auto& [kind, payload] = plan[in_flight];
        if (m.kind == kind && m.data == payload)
            ++matched;
        else
            mismatches.push_back(std::string(kind == duplex::message_kind::text ? "text " : "binary ") +
                                 std::to_string(payload.size()) + ": got " + (m.is_text() ? "text " : "binary ") +
                                 std::to_string(m.data.size()) + " bytes" +
                                 (m.data == payload ? " (the same bytes)" : ""));
        if (++in_flight < plan.size())
            c->send(plan[in_flight].first, plan[in_flight].second);
        else
            c->ping("ping-payload");
    };
    h.on_pong = [&](const auto& c, std::string_view payload) {
        pong = std::string(payload);
        c->send_text("close-me:4002:done"); // the peer starts the close handshake
    };
    h.on_close = [&](const auto&, const duplex::close_info& info) { peer_closed = info; };
    h.on_error = [&](const auto&, std::error_code ec) { errors.push_back(ec.message()); };
    client.connect(url, h);
    io.run_for(30s); // returns as soon as the connection is over

    INFO("mismatched echoes:" << lines(mismatches));
    INFO("errors:" << lines(errors));
    CHECK(errors.empty());
    CHECK(mismatches.empty());
    CHECK(matched == plan.size());
    REQUIRE(pong);
    CHECK(*pong == "ping-payload");
    REQUIRE(peer_closed);
    INFO("close the peer started: " << describe(*peer_closed));
    CHECK(peer_closed->code == 4002);
    CHECK(peer_closed->reason == "done");
    CHECK(peer_closed->clean);

    // Our close: on_close reports the peer's echo (1006 had it not answered).
    io.restart();
    std::optional<duplex::close_info> echoed;
    duplex::client::handlers_type own;
    own.on_open = [](const auto& c) { c->close(4001, "bye"); };
    own.on_close = [&](const auto&, const duplex::close_info& info) { echoed = info; };
    own.on_error = [&](const auto&, std::error_code ec) { errors.push_back(ec.message()); };
    client.connect(url, own);
    io.run_for(20s);
    CHECK(errors.empty());
    REQUIRE(echoed);
    INFO("the peer's answer to our close: " << describe(*echoed));
    CHECK(echoed->code == 4001);
    CHECK(echoed->reason == "bye"); // both peers echo the reason too
    CHECK(echoed->clean);

    const auto status = server.terminate(5s);
    INFO(name << " on SIGTERM: " << child_process::describe(status));
    CHECK(child_process::exited_with(status, 0));
}

// ---- peer client -> duplex server ------------------------------------------------------

// duplex::server on its own thread: "/echo" echoes and records what it saw,
// "/reject" refuses every handshake with 403.
class observed_server {
public:
    struct observations {
        int upgrades = 0, deflate_offers = 0, rejected = 0, opened = 0, negotiated = 0, messages = 0;
        std::size_t message_bytes = 0;
        std::vector<std::string> pings;
        std::vector<duplex::close_info> closes;
    };

    observed_server() {
        auto& echo = server_.route("/echo");
        echo.on_upgrade = [this](duplex::upgrade_request<duplex::server::connection_type>& request) {
            record([&](observations& o) {
                ++o.upgrades;
                for (const auto& offer : request.extensions())
                    if (offer.name == "permessage-deflate") return void(++o.deflate_offers);
            });
        };
        echo.on_open = [this](const auto& c) {
            record([&](observations& o) {
                ++o.opened;
                if (c->extension()) ++o.negotiated; // no negotiator: every offer is declined
            });
        };
        echo.on_message = [this](const auto& c, const duplex::message& m) {
            record([&](observations& o) {
                ++o.messages;
                o.message_bytes += m.data.size();
            });
            c->send(m.kind, m.data);
        };
        echo.on_ping = [this](const auto&, std::string_view payload) {
            record([&](observations& o) { o.pings.emplace_back(payload); });
        };
        echo.on_close = [this](const auto&, const duplex::close_info& info) {
            record([&](observations& o) { o.closes.push_back(info); });
        };
        server_.route("/reject").on_upgrade = [this](duplex::upgrade_request<duplex::server::connection_type>& r) {
            record([](observations& o) { ++o.rejected; });
            r.reject(403, "rejected by the interop test");
        };
        REQUIRE_FALSE(server_.listen(0, "127.0.0.1"));
    }

    std::string base_url() const { return "ws://127.0.0.1:" + std::to_string(server_.port()); }

    observations snapshot() {
        const std::lock_guard<std::mutex> lock(mutex_);
        return seen_;
    }

    /// Poll (bounded) until `ready(observations)` holds; the last snapshot either way.
    template <class Predicate>
    observations wait_until(Predicate ready, std::chrono::milliseconds timeout) {
        const auto deadline = child_process::clock::now() + timeout;
        auto seen = snapshot();
        while (!ready(seen) && child_process::clock::now() < deadline) {
            std::this_thread::sleep_for(10ms);
            seen = snapshot();
        }
        return seen;
    }

private:
    template <class Fn>
    void record(Fn&& fn) {
        const std::lock_guard<std::mutex> lock(mutex_);
        fn(seen_);
    }

    duplex_test::io_thread thread_;
    duplex::server server_{thread_.io};
    std::mutex mutex_;
    observations seen_;
    duplex_test::stop_before_destruction stop_first_{thread_};
};

// Run a peer client script (it checks every echo, the pong, the echoed 4001
// and the 403) and then look at what the server saw of it.
void peer_client_against_duplex_server(const std::vector<std::string>& command) {
    observed_server server;
    auto argv = command;
    argv.push_back(server.base_url());
    child_process client(argv);
    const auto status = client.wait_for_exit(90s);
    INFO(command.back() << " said:\n" << client.output());
    INFO("exit status: " << child_process::describe(status));
    REQUIRE(child_process::exited_with(status, 0));

    // Two /echo connections (every size, then the deflate offer) and the 403.
    const auto seen = server.wait_until([](const auto& o) { return o.closes.size() >= 2; }, 5s);
    CHECK(seen.upgrades == 2);
    CHECK(seen.deflate_offers == 1); // only the second connection offers deflate
    CHECK(seen.opened == 2);
    CHECK(seen.negotiated == 0); // ... and the server declined it
    CHECK(seen.rejected == 1);
    CHECK(seen.messages == 2 * static_cast<int>(std::size(sizes)) + 1);
    std::size_t bytes = std::string_view("offered deflate").size();
    for (const auto size : sizes)
        bytes += 2 * size;
    CHECK(seen.message_bytes == bytes);
    REQUIRE(seen.pings.size() == 1);
    CHECK(seen.pings[0] == "ping-payload");
    REQUIRE(seen.closes.size() == 2);
    INFO("closes: " << describe(seen.closes[0]) << ", " << describe(seen.closes[1]));
    CHECK(seen.closes[0].code == 4001);
    CHECK(seen.closes[0].reason == "bye");
    CHECK(seen.closes[0].clean);
    CHECK(seen.closes[1].code == 1000);
    CHECK(seen.closes[1].clean);
}

} // namespace

TEST_CASE("duplex client talks to a Python websockets server", "[interop][python]") {
    require_python_websockets();
    child_process server({python, peer("python_echo_server.py")});
    duplex_client_against(server, "python_echo_server.py");
}

TEST_CASE("duplex client talks to a Node ws server", "[interop][node]") {
    require_node_ws();
    child_process server({node, peer("node_echo_server.js")});
    duplex_client_against(server, "node_echo_server.js");
}

TEST_CASE("a Python websockets client talks to a duplex server", "[interop][python]") {
    require_python_websockets();
    peer_client_against_duplex_server({python, peer("python_client.py")});
}

TEST_CASE("a Node ws client talks to a duplex server", "[interop][node]") {
    require_node_ws();
    peer_client_against_duplex_server({node, peer("node_client.js")});
}

TEST_CASE("echo_server example: Python client, then SIGTERM closes with 1001 and exits 0", "[interop][example]") {
#ifndef DUPLEX_ECHO_SERVER_PATH
    WARN("skipped: DUPLEX_ECHO_SERVER_PATH is not defined (configure with DUPLEX_BUILD_EXAMPLES=ON)");
#else
    require_python_websockets();
    child_process server({DUPLEX_ECHO_SERVER_PATH, "--host", "127.0.0.1", "--port", "0"});
    const std::string address = server.wait_for_listening(20s);
    REQUIRE_FALSE(address.empty());
    const std::string url = "ws://" + address;
    {
        // echo_server routes every path to its echo, so it has nothing to reject.
        child_process client({python, peer("python_client.py"), url, "--no-reject"});
        const auto status = client.wait_for_exit(90s);
        INFO("python_client.py said:\n" << client.output());
        REQUIRE(child_process::exited_with(status, 0));
    }

    // A duplex client connected and echoing when SIGTERM arrives.
    asio::io_context io{1};
    duplex::client client{io};
    bool echoed = false;
    std::optional<duplex::close_info> closed;
    std::vector<std::string> errors;
    duplex::client::handlers_type h;
    h.on_open = [](const auto& c) { c->send_text("before SIGTERM"); };
    h.on_message = [&](const auto&, const duplex::message& m) { echoed = m.is_text() && m.data == "before SIGTERM"; };
    h.on_close = [&](const auto&, const duplex::close_info& info) { closed = info; };
    h.on_error = [&](const auto&, std::error_code ec) { errors.push_back(ec.message()); };
    client.connect(url + "/echo", h);
    auto deadline = child_process::clock::now() + 20s;
    while (!echoed && !io.stopped() && child_process::clock::now() < deadline)
        io.run_for(10ms);
    REQUIRE(echoed);

    REQUIRE(server.send_signal(SIGTERM));
    const auto signalled = child_process::clock::now();
    deadline = signalled + 5s;
    while (!closed && !io.stopped() && child_process::clock::now() < deadline)
        io.run_for(10ms);
    const auto status = server.wait_for_exit(child_process::remaining(deadline));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(child_process::clock::now() - signalled);
    INFO("errors:" << lines(errors));
    INFO("echo_server on SIGTERM: " << child_process::describe(status) << " after " << took.count() << " ms");
    CHECK(child_process::exited_with(status, 0));
    CHECK(errors.empty());
    REQUIRE(closed);
    INFO("close: " << describe(*closed));
    CHECK(closed->code == 1001);
    CHECK(closed->clean);
#endif
}
