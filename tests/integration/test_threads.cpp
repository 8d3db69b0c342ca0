// The multi-threaded server: a strand per connection, sends from foreign
// threads, stop() racing with traffic. Run under ThreadSanitizer in CI.
#include <duplex/duplex.hpp>

#include "support/asio.hpp"
#include "support/catch.hpp"

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {
struct threaded : duplex::config::server {
    static constexpr bool multi_threaded = true;
};
} // namespace

TEST_CASE("a multi-threaded server takes sends from any thread", "[integration][threads]") {
    asio::io_context io{2};
    duplex::basic_server<threaded> server{io};
    std::mutex mutex;
    std::vector<duplex::basic_server<threaded>::connection_ptr> open;
    auto& ep = server.route("/echo");
    ep.on_open = [&](const auto& c) {
        const std::lock_guard<std::mutex> lock(mutex);
        open.push_back(c);
    };
    ep.on_message = [](const auto& c, const duplex::message& m) { c->send(m.kind, m.data); };
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
    std::vector<std::thread> workers;
    for (int i = 0; i < 2; ++i)
        workers.emplace_back([&] { io.run(); });

    constexpr int clients = 16, pushes = 40;
    asio::io_context client_io{1};
    duplex::client client{client_io};
    std::atomic<int> echoes{0}, pushed{0}, going_away{0};
    for (int i = 0; i < clients; ++i) {
        duplex::client::handlers_type h;
        h.on_open = [](const auto& c) { c->send_text("echo"); };
        h.on_message = [&](const auto&, const duplex::message& m) { m.data == "echo" ? ++echoes : ++pushed; };
        h.on_close = [&](const auto&, const duplex::close_info& info) { going_away += info.code == 1001; };
        client.connect("ws://127.0.0.1:" + std::to_string(server.port()) + "/echo", h);
    }
    std::thread client_thread([&] { client_io.run_for(30s); });
    for (int i = 0; i < 500; ++i) { // wait (bounded) until every client is open
        {
            const std::lock_guard<std::mutex> lock(mutex);
            if (open.size() == clients) break;
        }
        std::this_thread::sleep_for(10ms);
    }
    // Two foreign threads send to every connection at once.
    std::vector<std::thread> senders;
    for (int t = 0; t < 2; ++t)
        senders.emplace_back([&] {
            for (int round = 0; round < pushes / 2; ++round) {
                const std::lock_guard<std::mutex> lock(mutex);
                for (const auto& c : open)
                    c->send_text("push");
            }
        });
    for (auto& t : senders)
        t.join();
    for (int i = 0; i < 500 && pushed < clients * pushes; ++i)
        std::this_thread::sleep_for(10ms);
    server.stop();
    for (auto& t : workers)
        t.join();
    client_thread.join();
    CHECK(echoes == clients);
    CHECK(pushed == clients * pushes); // nothing lost, nothing duplicated
    CHECK(going_away == clients);      // stop() closed each with 1001
}
