// duplex's side of the interop tests as a client: round trips against a peer
// echo server, ping/pong, a server-initiated close and our own close.
//   interop_client URL [--deflate [--expect-agreement=SEND_NCT,RECV_NCT,SEND_BITS,RECV_BITS]]
// With --expect-agreement the negotiated permessage-deflate parameters, from
// this client's side, must be exactly those (e.g. 0,1,15,10).
// Prints one line per check; exit status 0 only if all passed.
#include <duplex/client/enable_deflate.hpp>
#include <duplex/duplex.hpp>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {
int failures = 0;
void check(const std::string& name, bool ok) {
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", name.c_str());
    std::fflush(stdout);
    failures += ok ? 0 : 1;
}

std::string text_of(std::size_t size) {
    const std::string unit = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; // a é € 😀
    std::string s;
    while (s.size() + unit.size() <= size)
        s += unit;
    return s;
}
} // namespace

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    const std::string url = argv[1];
    const bool deflate = argc > 2 && std::strcmp(argv[2], "--deflate") == 0;
    const char* expect_agreement = nullptr;
    for (int i = 2; i < argc; ++i)
        if (std::strncmp(argv[i], "--expect-agreement=", 19) == 0) expect_agreement = argv[i] + 19;
    asio::io_context io{1};
    duplex::client client{io};
    duplex::client_options options;
    if (deflate) duplex::extensions::enable_deflate(options);

    const std::vector<std::size_t> sizes = {0, 125, 126, 65535, 65536, 1 << 20};
    std::size_t step = 0;
    std::string expected;
    duplex::message_kind expected_kind{};
    duplex::client::handlers_type h;
    const auto next = [&](const duplex::client::connection_ptr& c) {
        if (step == 2 * sizes.size()) return c->ping("ping-payload");
        const std::size_t size = sizes[step / 2];
        expected_kind = step % 2 ? duplex::message_kind::binary : duplex::message_kind::text;
        expected = step % 2 ? std::string(size, '\0') : text_of(size);
        for (std::size_t i = 0; step % 2 && i < size; ++i)
            expected[i] = static_cast<char>((i * 31) & 0xFF);
        c->send(expected_kind, expected);
        ++step;
    };
    h.on_open = [&](const auto& c) {
        check(std::string("deflate negotiated=") + (c->extension() ? "1" : "0") + " as asked",
              (c->extension() != nullptr) == deflate);
        if (const auto* d = dynamic_cast<const duplex::extensions::permessage_deflate*>(c->extension());
            d && expect_agreement) {
            const auto& a = d->agreement();
            const std::string got = std::to_string(a.send_no_context_takeover) + "," +
                                    std::to_string(a.receive_no_context_takeover) + "," +
                                    std::to_string(a.send_window_bits) + "," + std::to_string(a.receive_window_bits);
            check("agreement " + got + " (expected " + expect_agreement + ")", got == expect_agreement);
        }
        next(c);
    };
    h.on_message = [&](const auto& c, const duplex::message& m) {
        check((m.is_text() ? "text " : "binary ") + std::to_string(m.data.size()) + " bytes",
              m.kind == expected_kind && m.data == expected);
        next(c);
    };
    h.on_pong = [&](const auto& c, std::string_view payload) {
        check("pong payload", payload == "ping-payload");
        c->send_text("close-me:4002:done"); // the peer closes
    };
    duplex::close_info closed;
    bool saw_close = false;
    h.on_close = [&](const auto&, const duplex::close_info& info) {
        closed = info;
        saw_close = true;
    };
    h.on_error = [&](const auto&, std::error_code ec) { check("no error: " + ec.message(), false); };
    client.connect(url + "/echo", h, options);
    io.run_for(std::chrono::seconds(60));
    check("server-initiated close 4002 'done' (got " + std::to_string(closed.code) + " '" + closed.reason + "')",
          saw_close && closed.code == 4002 && closed.reason == "done" && closed.clean);

    // Our own close: the peer echoes the code.
    io.restart();
    duplex::client::handlers_type own;
    duplex::close_info echoed;
    own.on_open = [](const auto& c) { c->close(4001, "bye"); };
    own.on_close = [&](const auto&, const duplex::close_info& info) { echoed = info; };
    client.connect(url + "/echo", own, options);
    io.run_for(std::chrono::seconds(20));
    check("our close 4001 echoed (got " + std::to_string(echoed.code) + ")", echoed.code == 4001);
    return failures == 0 && step == 2 * sizes.size() ? 0 : 1;
}
