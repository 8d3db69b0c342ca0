// echo_client: sends messages to an echo server and checks each round trip.
//
//   echo_client URL [--count N] [--size BYTES] [--binary] [--ca FILE]
//
// URL is ws:// or, when built with TLS, wss://: the server's certificate is
// verified against the system's trust store and, with --ca, that CA (PEM) too.
// Exit status 0 when every echo matched what was sent.
#include "common/cli.hpp"

#include <duplex/duplex.hpp>
#if DUPLEX_HAS_TLS
#include <duplex/tls.hpp>
#endif

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <system_error>

namespace {

struct options {
    std::string url;
    std::size_t count = 10, size = 32;
    bool binary = false;
    std::string ca_file; // wss: trusted besides the system's store
    bool secure = false; // a wss:// URL
};

options parse(int argc, char** argv) {
    options o;
    example::command_line cli("echo_client", "URL [--count N] [--size BYTES] [--binary] [--ca FILE]");
    cli.argument("URL", o.url);
    cli.option("--count", o.count);
    cli.option("--size", o.size);
    cli.flag("--binary", o.binary);
    cli.option("--ca", o.ca_file);
    cli.parse(argc, argv);
    const auto url = duplex::parse_url(o.url); // malformed: the client says so
    o.secure = url && url->secure;
#if !DUPLEX_HAS_TLS
    if (o.secure) cli.fail("built without TLS support (configure with DUPLEX_WITH_TLS=ON): no wss:// URLs");
#endif
    if (!o.ca_file.empty() && !o.secure) cli.fail("--ca is for wss:// URLs");
    return o;
}

#if DUPLEX_HAS_TLS
// Verifies servers against the system's trust store and, when given, ca_file too.
asio::ssl::context client_context(const std::string& ca_file) {
    auto context = duplex::tls::make_client_context();
    if (!ca_file.empty()) context.load_verify_file(ca_file);
    return context;
}
#endif

template <class Client, class... TlsContext>
int run(const options& o, TlsContext&... tls_context) {
    // A payload that changes with every message, so a stale echo cannot match.
    const auto payload = [&](std::size_t n) {
        std::string p(o.size, 'a');
        for (std::size_t i = 0; i < o.size; ++i)
            p[i] = static_cast<char>(o.binary ? (i * 31 + n) & 0xFF : 'a' + (i + n) % 26);
        return p;
    };

    asio::io_context io{1};
    Client client{io, tls_context...};
    std::size_t sent = 0, matched = 0, mismatched = 0;
    std::string expected;
    bool failed = false;
    const auto start = std::chrono::steady_clock::now();
    const auto kind = o.binary ? duplex::message_kind::binary : duplex::message_kind::text;

    typename Client::handlers_type h;
    const auto send_next = [&](const typename Client::connection_ptr& c) {
        if (sent == o.count) return c->close(duplex::close_code::normal, "done");
        expected = payload(sent++);
        c->send(kind, expected);
    };
    h.on_open = send_next;
    h.on_message = [&](const typename Client::connection_ptr& c, const duplex::message& m) {
        if (m.data == expected && m.kind == kind)
            ++matched;
        else
            ++mismatched;
        send_next(c);
    };
    h.on_close = [&](const auto&, const duplex::close_info& info) {
        if (info.code != duplex::close_code::normal) {
            std::fprintf(stderr, "echo_client: closed with %u %s\n", info.code, info.reason.c_str());
            failed = true;
        }
    };
    h.on_error = [&](const auto&, std::error_code ec) {
        std::fprintf(stderr, "echo_client: %s\n", ec.message().c_str());
        failed = true;
    };
    client.connect(o.url, h);
    io.run();

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%zu sent, %zu matched, %zu mismatched, %.3f s, %.0f round trips/s\n", sent, matched, mismatched,
                seconds, seconds > 0 ? static_cast<double>(matched) / seconds : 0.0);
    return (!failed && matched == o.count && mismatched == 0) ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
#if DUPLEX_HAS_TLS
    if (o.secure) {
        std::optional<asio::ssl::context> context;
        try {
            context.emplace(client_context(o.ca_file));
        } catch (const std::system_error& e) {
            std::fprintf(stderr, "echo_client: cannot load the trusted certificates: %s\n", e.what());
            return 1;
        }
        return run<duplex::tls_client>(o, *context);
    }
#endif
    return run<duplex::client>(o);
}
