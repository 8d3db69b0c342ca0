// echo_server: echoes every WebSocket message back, text as text and binary as
// binary, and serves a page at "/" that connects back to it.
//
//   echo_server [--host H] [--port P] [--threads N] [--max-message-size N]
//               [--tls-cert FILE --tls-key FILE] [--deflate]
//
// Prints "listening on HOST:PORT" once ready. SIGINT/SIGTERM close every
// connection with 1001 and exit 0.
#include "page.hpp"

#include <duplex/duplex.hpp>
#if DUPLEX_HAS_TLS
#include <duplex/tls.hpp>
#endif
#if DUPLEX_HAS_ZLIB
#include <duplex/server/deflate_negotiator.hpp>
#endif

#include <asio/signal_set.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct options {
    std::string host = "127.0.0.1";
    unsigned port = 8080;
    unsigned threads = 1;
    std::size_t max_message_size = 16 * 1024 * 1024;
    std::string tls_cert, tls_key;
    bool deflate = false;
};

[[noreturn]] void usage(const char* problem) {
    std::fprintf(stderr,
                 "echo_server: %s\nusage: echo_server [--host H] [--port P] [--threads N] [--max-message-size N]\n"
                 "                   [--tls-cert FILE --tls-key FILE] [--deflate]\n",
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
            else if (arg == "--threads")
                o.threads = static_cast<unsigned>(std::stoul(value()));
            else if (arg == "--max-message-size")
                o.max_message_size = std::stoull(value());
            else if (arg == "--tls-cert")
                o.tls_cert = value();
            else if (arg == "--tls-key")
                o.tls_key = value();
            else if (arg == "--deflate")
                o.deflate = true;
            else if (arg == "--help" || arg == "-h")
                usage("help");
            else
                usage(("unknown option " + arg).c_str());
        } catch (const std::logic_error&) {
            usage(("bad value for " + arg).c_str());
        }
    }
    if (o.port > 65535 || o.threads == 0) usage("port must be 0-65535 and threads at least 1");
    if (o.tls_cert.empty() != o.tls_key.empty()) usage("--tls-cert and --tls-key go together");
#if !DUPLEX_HAS_TLS
    if (!o.tls_cert.empty()) usage("built without TLS support (configure with DUPLEX_WITH_TLS=ON)");
#endif
#if !DUPLEX_HAS_ZLIB
    if (o.deflate) usage("built without permessage-deflate (configure with DUPLEX_WITH_ZLIB=ON)");
#endif
    return o;
}

template <class Base>
struct threaded : Base {
    static constexpr bool multi_threaded = true;
};

template <class Config, class... TlsContext>
int run(const options& o, TlsContext&... tls_context) {
    // One thread: duplex keeps every I/O operation on the io thread (sends from
    // elsewhere are posted), so the reactor may skip its locks.
    asio::io_context io(o.threads == 1 ? ASIO_CONCURRENCY_HINT_UNSAFE_IO : static_cast<int>(o.threads));
    duplex::basic_server<Config> server{io, tls_context...};

    auto& echo = server.route("/*");
    echo.options.max_message_size = o.max_message_size;
    echo.options.max_frame_size = o.max_message_size;
    echo.on_message = [](const auto& connection, const duplex::message& m) { connection->send(m.kind, m.data); };
#if DUPLEX_HAS_ZLIB
    if (o.deflate) echo.negotiate_extensions = duplex::extensions::deflate_negotiator();
#endif

    server.on_http([](const duplex::handshake::http_request& request) {
        duplex::http_response response;
        if (request.path() == "/" || request.path() == "/index.html") {
            response.content_type = "text/html; charset=utf-8";
            response.body = std::string(example::echo_page);
        } else if (request.path() == "/health") {
            response.body = "ok\n";
        } else {
            response.status = 404;
            response.body = "not found\n";
        }
        return response;
    });

    // Before "listening on": a signal right after it must find the handler in place.
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code ec, int) {
        if (!ec) server.stop(); // close 1001, then io.run() returns when all are gone
    });

    if (const auto ec = server.listen(static_cast<std::uint16_t>(o.port), o.host)) {
        std::fprintf(stderr, "echo_server: cannot listen on %s:%u: %s\n", o.host.c_str(), o.port, ec.message().c_str());
        return 1;
    }
    const bool v6 = o.host.find(':') != std::string::npos;
    std::printf("listening on %s%s%s:%u\n", v6 ? "[" : "", o.host.c_str(), v6 ? "]" : "", server.port());
    std::fflush(stdout);
    std::fprintf(stderr, "open %s://%s%s%s:%u/ in a browser\n", sizeof...(TlsContext) ? "https" : "http", v6 ? "[" : "",
                 o.host.c_str(), v6 ? "]" : "", server.port());

    std::vector<std::thread> workers;
    for (unsigned i = 1; i < o.threads; ++i)
        workers.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : workers)
        t.join();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
#if DUPLEX_HAS_TLS
    if (!o.tls_cert.empty()) {
        try {
            auto context = duplex::tls::make_server_context(o.tls_cert, o.tls_key);
            return o.threads > 1 ? run<threaded<duplex::config::tls_server>>(o, context)
                                 : run<duplex::config::tls_server>(o, context);
        } catch (const std::system_error& e) {
            std::fprintf(stderr, "echo_server: cannot load the certificate or key: %s\n", e.what());
            return 1;
        }
    }
#endif
    return o.threads > 1 ? run<threaded<duplex::config::server>>(o) : run<duplex::config::server>(o);
}
