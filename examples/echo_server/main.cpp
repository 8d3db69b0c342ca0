// echo_server: echoes every WebSocket message back, text as text and binary as
// binary, and serves a page at "/" that connects back to it.
//
//   echo_server [--host H] [--port P] [--threads N] [--max-message-size N]
//               [--max-frame-size N] [--max-fragments N]
//               [--tls-cert FILE --tls-key FILE] [--deflate]
//
// --max-message-size also limits frames unless --max-frame-size is given;
// --max-fragments is the most frames one message may come in. Past any of
// them the connection is closed with 1009.
//
// Prints "listening on HOST:PORT" once ready. SIGINT/SIGTERM close every
// connection with 1001 and exit 0.
#include "common/cli.hpp"
#include "common/signals.hpp"
#include "page.hpp"

#include <duplex/duplex.hpp>
#if DUPLEX_HAS_TLS
#include <duplex/tls.hpp>
#endif
#if DUPLEX_HAS_ZLIB
#include <duplex/server/deflate_negotiator.hpp>
#endif

#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    unsigned threads = 1;
    std::size_t max_message_size = 16 * 1024 * 1024;
    std::size_t max_frame_size = 0; // 0: max_message_size
    std::size_t max_fragments = duplex::config::server::max_fragments;
    std::string tls_cert, tls_key;
    bool deflate = false;
};

options parse(int argc, char** argv) {
    options o;
    example::command_line cli("echo_server", "[--host H] [--port P] [--threads N] [--max-message-size N] "
                                             "[--max-frame-size N] [--max-fragments N] "
                                             "[--tls-cert FILE --tls-key FILE] [--deflate]");
    cli.option("--host", o.host);
    cli.option("--port", o.port);
    cli.option("--threads", o.threads, 1, 1024);
    cli.option("--max-message-size", o.max_message_size);
    cli.option("--max-frame-size", o.max_frame_size, 1);
    cli.option("--max-fragments", o.max_fragments, 1);
    cli.option("--tls-cert", o.tls_cert);
    cli.option("--tls-key", o.tls_key);
    cli.flag("--deflate", o.deflate);
    cli.parse(argc, argv);
    if (o.max_frame_size == 0) o.max_frame_size = o.max_message_size;
    if (o.tls_cert.empty() != o.tls_key.empty()) cli.fail("--tls-cert and --tls-key go together");
#if !DUPLEX_HAS_TLS
    if (!o.tls_cert.empty()) cli.fail("built without TLS support (configure with DUPLEX_WITH_TLS=ON)");
#endif
#if !DUPLEX_HAS_ZLIB
    if (o.deflate) cli.fail("built without permessage-deflate (configure with DUPLEX_WITH_ZLIB=ON)");
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
    echo.options.max_frame_size = o.max_frame_size;
    echo.options.max_fragments = o.max_fragments;
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

    // SIGINT/SIGTERM: close 1001, then io.run() returns when all are gone.
    example::stop_on_signals signals(io, [&server] { server.stop(); });

    if (const auto ec = server.listen(o.port, o.host)) {
        std::fprintf(stderr, "echo_server: cannot listen on %s: %s\n", example::host_port(o.host, o.port).c_str(),
                     ec.message().c_str());
        return 1;
    }
    example::print_listening(o.host, server.port());
    std::fprintf(stderr, "open %s://%s/ in a browser\n", sizeof...(TlsContext) ? "https" : "http",
                 example::host_port(o.host, server.port()).c_str());

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
