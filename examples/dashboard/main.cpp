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
#include "common/cli.hpp"
#include "common/signals.hpp"
#include "dashboard_service.hpp"
#include "page.hpp"

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

namespace {

using namespace example::dashboard;

struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    long interval_ms = 1000;
};

options parse(int argc, char** argv) {
    options o;
    example::command_line cli("dashboard_server", "[--host H] [--port P] [--interval-ms N]");
    cli.option("--host", o.host);
    cli.option("--port", o.port);
    cli.option("--interval-ms", o.interval_ms, 10, 60000);
    cli.parse(argc, argv);
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
    // Only the dashboard's own page may open it (cross-site WebSocket hijacking).
    ws.on_upgrade = [](duplex::upgrade_request<connection>& request) {
        if (!request.is_same_origin()) request.reject(403, "cross-origin WebSocket refused");
    };
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

    example::stop_on_signals signals(io, [&] {
        dashboard.stop();
        server.stop(); // close 1001, then io.run() returns when all are gone
    });
    if (const auto ec = server.listen(o.port, o.host)) {
        std::fprintf(stderr, "dashboard_server: cannot listen on %s: %s\n", example::host_port(o.host, o.port).c_str(),
                     ec.message().c_str());
        return 1;
    }
    example::print_listening(o.host, server.port());
    std::fprintf(stderr, "open http://%s/ in a browser\n", example::host_port(o.host, server.port()).c_str());

    dashboard.start();
    io.run();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return run(parse(argc, argv));
}
