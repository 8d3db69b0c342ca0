// The server side of the soak and load test (run_soak.py): echo on /echo, and
// pub/sub on /ps/{topic}, where a text "pub ID" is published to the topic and
// answered with "ack ID" once it is queued on every subscriber.
//
//   soak_server [--port P]
//
// Prints "listening on 127.0.0.1:PORT"; SIGTERM closes every connection with
// 1001 (what was queued before is still delivered) and exits 0.
#include <duplex/duplex.hpp>
#include <duplex/pubsub.hpp>

#include <asio/signal_set.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct soak_config : duplex::config::server {
    using metrics = duplex::counter_metrics;
    // Short enough that a churned connection's buffers are given back during the run.
    static constexpr std::chrono::milliseconds park_after{1'000};
};
using server_type = duplex::basic_server<soak_config>;
using broker_type = duplex::pubsub::basic_broker<server_type::connection_type>;

void raise_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

} // namespace

int main(int argc, char** argv) {
    unsigned port = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--port" && i + 1 < argc) {
            port = static_cast<unsigned>(std::stoul(argv[++i]));
        } else {
            std::fprintf(stderr, "usage: soak_server [--port P]\n");
            return 2;
        }
    }
    raise_file_limit();

    asio::io_context io(ASIO_CONCURRENCY_HINT_UNSAFE_IO);
    server_type server{io};
    broker_type broker;

    server.route("/echo").on_message = [](const auto& c, const duplex::message& m) { c->send(m.kind, m.data); };

    auto& ps = server.route("/ps/{topic}");
    ps.on_open = [&broker](const auto& c) { broker.subscribe(c, std::string(c->param("topic"))); };
    ps.on_message = [&broker](const auto& c, const duplex::message& m) {
        if (m.data.substr(0, 4) != "pub ") return c->close(duplex::close_code::policy_violation, "expected pub ID");
        const std::string id(m.data.substr(4));
        broker.publish(c->param("topic"), duplex::message_kind::text, id, c.get());
        c->send_text("ack " + id);
    };
    ps.on_close = [&broker](const auto& c, const duplex::close_info&) { broker.unsubscribe_all(*c); };

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](std::error_code ec, int) {
        if (!ec) server.stop();
    });
    if (const auto ec = server.listen(static_cast<std::uint16_t>(port), "127.0.0.1")) {
        std::fprintf(stderr, "soak_server: cannot listen: %s\n", ec.message().c_str());
        return 1;
    }
    std::printf("listening on 127.0.0.1:%u\n", server.port());
    std::fflush(stdout);
    io.run();
    const auto& m = server.metrics();
    std::printf("connections %llu, messages in %llu, out %llu, send-queue drops %llu\n",
                static_cast<unsigned long long>(m.total_connections()),
                static_cast<unsigned long long>(m.messages_in()), static_cast<unsigned long long>(m.messages_out()),
                static_cast<unsigned long long>(m.send_drops()));
    return 0;
}
