// echo_client: sends messages to an echo server and checks each round trip.
//
//   echo_client URL [--count N] [--size BYTES] [--binary]
//
// Exit status 0 when every echo matched what was sent.
#include <duplex/duplex.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: echo_client URL [--count N] [--size BYTES] [--binary]\n");
        return 2;
    }
    std::string url = argv[1];
    std::size_t count = 10, size = 32;
    bool binary = false;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--count" && i + 1 < argc)
            count = std::stoull(argv[++i]);
        else if (arg == "--size" && i + 1 < argc)
            size = std::stoull(argv[++i]);
        else if (arg == "--binary")
            binary = true;
        else {
            std::fprintf(stderr, "echo_client: unknown option %s\n", arg.c_str());
            return 2;
        }
    }

    // A payload that changes with every message, so a stale echo cannot match.
    const auto payload = [&](std::size_t n) {
        std::string p(size, 'a');
        for (std::size_t i = 0; i < size; ++i)
            p[i] = static_cast<char>(binary ? (i * 31 + n) & 0xFF : 'a' + (i + n) % 26);
        return p;
    };

    asio::io_context io{1};
    duplex::client client{io};
    std::size_t sent = 0, matched = 0, mismatched = 0;
    std::string expected;
    bool failed = false;
    const auto start = std::chrono::steady_clock::now();
    const auto kind = binary ? duplex::message_kind::binary : duplex::message_kind::text;

    duplex::client::handlers_type h;
    const auto send_next = [&](const duplex::client::connection_ptr& c) {
        if (sent == count) return c->close(duplex::close_code::normal, "done");
        expected = payload(sent++);
        c->send(kind, expected);
    };
    h.on_open = send_next;
    h.on_message = [&](const duplex::client::connection_ptr& c, const duplex::message& m) {
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
    client.connect(url, h);
    io.run();

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%zu sent, %zu matched, %zu mismatched, %.3f s, %.0f round trips/s\n", sent, matched, mismatched,
                seconds, seconds > 0 ? static_cast<double>(matched) / seconds : 0.0);
    return (!failed && matched == count && mismatched == 0) ? 0 : 1;
}
