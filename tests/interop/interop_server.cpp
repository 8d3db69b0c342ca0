// duplex's side of the interop tests as a server: /echo echoes (with
// permessage-deflate when --deflate), /reject refuses with 403.
// Prints "listening on 127.0.0.1:PORT"; exits on SIGTERM.
#include <duplex/duplex.hpp>
#include <duplex/server/deflate_negotiator.hpp>

#include <asio/signal_set.hpp>

#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
    const bool deflate = argc > 1 && std::strcmp(argv[1], "--deflate") == 0;
    asio::io_context io{1};
    duplex::server server{io};
    auto& echo = server.route("/echo");
    echo.on_message = [](const auto& c, const duplex::message& m) { c->send(m.kind, m.data); };
    echo.on_close = [](const auto&, const duplex::close_info& info) {
        std::printf("server saw close %u %s\n", info.code, info.reason.c_str());
        std::fflush(stdout);
    };
    if (deflate) echo.negotiate_extensions = duplex::extensions::deflate_negotiator();
    server.route("/reject").on_upgrade = [](auto& request) { request.reject(403, "rejected by the test"); };
    if (server.listen(0, "127.0.0.1")) return 1;
    std::printf("listening on 127.0.0.1:%u\n", server.port());
    std::fflush(stdout);
    asio::steady_timer limit(io, std::chrono::seconds(120)); // never outlive a test run
    asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](std::error_code, int) {
        limit.cancel();
        server.stop();
    });
    limit.async_wait([&](std::error_code ec) {
        if (ec) return;
        signals.cancel();
        server.stop();
    });
    io.run();
    return 0;
}
