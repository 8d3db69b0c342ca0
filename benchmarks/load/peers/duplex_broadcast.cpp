// duplex fan-out server for the broadcast benchmark: every connection joins one
// topic, and every message received is published to all (the sender included),
// framed once and shared by every subscriber's send queue.
//   duplex_broadcast [--port P]   prints "listening on 127.0.0.1:PORT"
#include <duplex/duplex.hpp>
#include <duplex/pubsub.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    unsigned short port = 0;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == "--port") port = static_cast<unsigned short>(std::stoi(argv[i + 1]));
    asio::io_context io{1};
    duplex::server server{io};
    duplex::pubsub::broker everyone;
    auto& ep = server.route("/*");
    ep.on_open = [&](const auto& c) { everyone.subscribe(c, "all"); };
    ep.on_message = [&](const auto&, const duplex::message& m) { everyone.publish("all", m.kind, m.data); };
    ep.on_close = [&](const auto& c, const duplex::close_info&) { everyone.unsubscribe_all(*c); };
    if (server.listen(port, "127.0.0.1")) return 1;
    std::printf("listening on 127.0.0.1:%u\n", server.port());
    std::fflush(stdout);
    io.run();
}
