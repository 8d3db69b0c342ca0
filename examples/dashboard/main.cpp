// dashboard_server: samples its own process and streams the samples to a page
// it serves at "/", which draws them as live line charts.
//
//   dashboard_server [--host H] [--port P] [--interval-ms N]
//
// Every interval (default 1000 ms) a sample of open connections, messages per
// second in and out, CPU % and resident memory goes to the "samples" topic of
// a broker that keeps the last 300; the page subscribes over JSON-RPC at /ws
// and resumes from the last sample it saw after a dropped connection, or
// starts over with the history when the server restarted (another epoch).
// The messages: see dashboard_service.hpp.
//
// Prints "listening on HOST:PORT" once ready. SIGINT/SIGTERM close every
// connection with 1001 and exit 0.
#include "dashboard_service.hpp"
#include "page.hpp"

#include <asio/signal_set.hpp>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>

namespace {

using namespace example::dashboard;

struct options {
    std::string host = "127.0.0.1";
    unsigned port = 8080;
    long interval_ms = 1000;
};

[[noreturn]] void usage(const char* problem) {
    std::fprintf(stderr, "dashboard_server: %s\nusage: dashboard_server [--host H] [--port P] [--interval-ms N]\n",
                 problem);
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value for " + arg).c_str());
            return argv[++i];
        };
        try {
            if (arg == "--host")
                o.host = value();
            else if (arg == "--port")
                o.port = static_cast<unsigned>(std::stoul(value()));
            else if (arg == "--interval-ms")
                o.interval_ms = std::stol(value());
            else if (arg == "--help" || arg == "-h")
                usage("help");
            else
                usage(("unknown option " + arg).c_str());
        } catch (const std::logic_error&) {
            usage(("bad value for " + arg).c_str());
        }
    }
    if (o.port > 65535) usage("port must be 0-65535");
    if (o.interval_ms < 10 || o.interval_ms > 60000) usage("--interval-ms must be 10-60000");
    return o;
}

// Tells this run from the one before: a page that sees another epoch starts over.
std::string random_epoch() {
    std::random_device random;
    const auto high = static_cast<unsigned long long>(random()), low = static_cast<unsigned long long>(random());
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", (high << 32) ^ low);
    return text;
}

int run(const options& o) {
    asio::io_context io(ASIO_CONCURRENCY_HINT_UNSAFE_IO);
    dashboard_server server{io};
    dashboard_service dashboard(io, server, std::chrono::milliseconds(o.interval_ms), random_epoch());

    auto& ws = server.route("/ws");
    ws.on_open = [&dashboard](const connection_ptr& c) { dashboard.on_open(c); };
    ws.on_message = [&dashboard](const connection_ptr& c, const duplex::message& m) { dashboard.on_message(c, m); };
    ws.on_close = [&dashboard](const connection_ptr& c, const duplex::close_info&) { dashboard.on_close(c); };

    server.on_http([](const duplex::handshake::http_request& request) {
        duplex::http_response response;
        if (request.path() == "/" || request.path() == "/index.html") {
            response.content_type = "text/html; charset=utf-8";
            response.headers.emplace_back("Content-Security-Policy",
                                          "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
            response.body = std::string(example::dashboard_page);
        } else if (request.path() == "/health") {
            response.body = "ok\n";
        } else {
            response.status = 404;
            response.body = "not found\n";
        }
        return response;
    });

    // Before the address is printed: a SIGTERM right after it must not kill the process.
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code ec, int) {
        if (ec) return;
        dashboard.stop();
        server.stop(); // close 1001, then io.run() returns when all are gone
    });
    if (const auto ec = server.listen(static_cast<std::uint16_t>(o.port), o.host)) {
        std::fprintf(stderr, "dashboard_server: cannot listen on %s:%u: %s\n", o.host.c_str(), o.port,
                     ec.message().c_str());
        return 1;
    }
    const bool v6 = o.host.find(':') != std::string::npos;
    std::printf("listening on %s%s%s:%u\n", v6 ? "[" : "", o.host.c_str(), v6 ? "]" : "", server.port());
    std::fflush(stdout);
    std::fprintf(stderr, "open http://%s%s%s:%u/ in a browser\n", v6 ? "[" : "", o.host.c_str(), v6 ? "]" : "",
                 server.port());

    dashboard.start();
    io.run();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return run(parse(argc, argv));
}
