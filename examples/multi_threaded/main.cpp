// multi_threaded: a server on several threads (a strand per connection) that
// echoes, and that every 100 ms sends the time to every client from a thread
// of its own: sends are safe from any thread.
//
//   multi_threaded [--port P] [--threads N] [--seconds S]
//
// Prints "listening on 127.0.0.1:PORT"; stops after S seconds (default: never)
// or on SIGINT/SIGTERM.
#include "common/cli.hpp"
#include "common/signals.hpp"

#include <duplex/duplex.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
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
    std::uint16_t port = 8080;
    unsigned threads = 4, seconds = 0;
    example::command_line cli("multi_threaded", "[--port P] [--threads N] [--seconds S]");
    cli.option("--port", port);
    cli.option("--threads", threads, 1, 1024);
    cli.option("--seconds", seconds);
    cli.parse(argc, argv);

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

    // A signal or the time limit, whichever comes first; the other is then
    // cancelled so that io.run() can return.
    std::atomic<bool> running{true};
    asio::steady_timer limit(io);
    const auto shutdown = [&] {
        running = false;
        limit.cancel();
        server.stop();
    };
    example::stop_on_signals signals(io, shutdown); // before "listening on"
    if (seconds) {
        limit.expires_after(std::chrono::seconds(seconds));
        limit.async_wait([&](std::error_code ec) {
            if (ec) return;
            signals.cancel();
            shutdown();
        });
    }

    if (const auto ec = server.listen(port, "127.0.0.1")) {
        std::fprintf(stderr, "multi_threaded: cannot listen on 127.0.0.1:%u: %s\n", port, ec.message().c_str());
        return 1;
    }
    example::print_listening("127.0.0.1", server.port());

    std::thread ticker([&] { // not an io thread: sends are posted to each connection's strand
        while (running) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            const auto now = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
            const std::lock_guard<std::mutex> lock(mutex);
            for (const auto& c : clients)
                c->send_text("tick " + now);
        }
    });
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i)
        pool.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : pool)
        t.join();
    running = false;
    ticker.join();
}
