// multi_threaded: a server on several threads (a strand per connection) that
// echoes, and that every 100 ms sends the time to every client from a thread
// of its own: sends are safe from any thread.
//
//   multi_threaded [--port P] [--threads N] [--seconds S]
//
// Prints "listening on 127.0.0.1:PORT"; stops after S seconds (default: never).
#include <duplex/duplex.hpp>

#include <asio/signal_set.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

struct threaded : duplex::config::server {
    static constexpr bool multi_threaded = true;
};
using server_type = duplex::basic_server<threaded>;

int main(int argc, char** argv) {
    unsigned port = 8080, threads = 4, seconds = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string arg = argv[i];
        if (arg == "--port")
            port = static_cast<unsigned>(std::stoul(argv[i + 1]));
        else if (arg == "--threads")
            threads = static_cast<unsigned>(std::stoul(argv[i + 1]));
        else if (arg == "--seconds")
            seconds = static_cast<unsigned>(std::stoul(argv[i + 1]));
    }
    asio::io_context io{static_cast<int>(threads)};
    server_type server{io};

    std::mutex mutex;
    std::set<server_type::connection_ptr> clients; // guarded by mutex: handlers run on many threads
    auto& ws = server.route("/*");
    ws.on_open = [&](const auto& c) {
        const std::lock_guard<std::mutex> lock(mutex);
        clients.insert(c);
    };
    ws.on_close = [&](const auto& c, const duplex::close_info&) {
        const std::lock_guard<std::mutex> lock(mutex);
        clients.erase(c);
    };
    ws.on_message = [](const auto& c, const duplex::message& m) { c->send(m.kind, m.data); };
    if (server.listen(static_cast<std::uint16_t>(port), "127.0.0.1")) return 1;
    std::printf("listening on 127.0.0.1:%u\n", server.port());
    std::fflush(stdout);

    std::atomic<bool> running{true};
    std::thread ticker([&] { // not an io thread: sends are posted to each connection's strand
        while (running) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            const auto now = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
            const std::lock_guard<std::mutex> lock(mutex);
            for (const auto& c : clients)
                c->send_text("tick " + now);
        }
    });
    asio::signal_set signals(io, SIGINT, SIGTERM);
    asio::steady_timer limit(io);
    const auto shutdown = [&] {
        running = false;
        signals.cancel();
        limit.cancel();
        server.stop();
    };
    signals.async_wait([&](std::error_code ec, int) {
        if (!ec) shutdown();
    });
    if (seconds) {
        limit.expires_after(std::chrono::seconds(seconds));
        limit.async_wait([&](std::error_code ec) {
            if (!ec) shutdown();
        });
    }
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i)
        pool.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : pool)
        t.join();
    running = false;
    ticker.join();
}
