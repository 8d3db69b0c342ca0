// A consumer of duplex: a server and a client in one process exchange one
// message over loopback. Exit status 0 only if the echo came back intact.
#include <duplex/duplex.hpp>

#include <cstdio>
#include <string>

int main() {
    asio::io_context io{1};
    duplex::server server{io};
    server.route("/echo").on_message = [](const auto& connection, const duplex::message& m) {
        connection->send(m.kind, m.data);
    };
    if (server.listen(0, "127.0.0.1")) return 1;

    bool echoed = false;
    duplex::client client{io};
    duplex::client::handlers_type on;
    on.on_open = [](const auto& c) { c->send_text("packaging round trip"); };
    on.on_message = [&](const auto& c, const duplex::message& m) {
        echoed = m.is_text() && m.data == "packaging round trip";
        c->close();
    };
    on.on_close = [&](const auto&, const duplex::close_info&) { server.stop(); };
    on.on_error = [&](const auto&, std::error_code ec) {
        std::fprintf(stderr, "consumer: %s\n", ec.message().c_str());
        server.stop();
    };
    client.connect("ws://127.0.0.1:" + std::to_string(server.port()) + "/echo", on);
    asio::steady_timer deadline(io, std::chrono::seconds(10)); // never hang a test run
    deadline.async_wait([&](std::error_code ec) {
        if (!ec) io.stop();
    });
    io.run();
    std::printf("round trip %s\n", echoed ? "ok" : "FAILED");
    return echoed ? 0 : 1;
}
