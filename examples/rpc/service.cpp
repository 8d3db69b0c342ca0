// rpc_service: a small JSON-RPC 2.0 service at ws://HOST:PORT/rpc.
//
//   rpc_service [--host H] [--port P]
//
// Methods (params by position):
//   add [a, b]          -> a + b (an integer when both are integers)
//   uppercase [text]    -> text with ASCII letters upper-cased
//   stats               -> {"connections","calls","notes","hellos","last_hello","uptime_s"}
// Event (rpc.emit) with an acknowledgement:
//   note PAYLOAD        -> ack {"stored":true,"notes":N}
// The other direction: on every connection the service calls the client's
// "client.hello" {"service":"rpc_service","version":1} and records the answer
// (stats shows how many clients answered, and the last answer).
//
// Prints "listening on HOST:PORT" once ready. SIGINT/SIGTERM close every
// connection with 1001 and exit 0.
#include "common/cli.hpp"
#include "common/signals.hpp"

#include <duplex/duplex.hpp>
#include <duplex/rpc.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace {

using json = nlohmann::json;

struct peer;
struct service_config : duplex::config::server {
    using user_data = peer;
    static constexpr std::size_t max_message_size = 64 * 1024;
    static constexpr std::size_t max_frame_size = 64 * 1024;
};
using rpc_server = duplex::basic_server<service_config>;
using connection = duplex::basic_connection<service_config>;
using connection_ptr = std::shared_ptr<connection>;
using rpc_session = duplex::rpc::session<connection>;

struct peer {
    std::shared_ptr<rpc_session> rpc;
};

struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8090;
};

options parse(int argc, char** argv) {
    options o;
    example::command_line cli("rpc_service", "[--host H] [--port P]");
    cli.option("--host", o.host);
    cli.option("--port", o.port);
    cli.parse(argc, argv);
    return o;
}

// What stats reports. Everything runs on the io_context's one thread.
struct counters {
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::uint64_t calls = 0; ///< method calls answered with a result, stats included
    std::uint64_t notes = 0;
    std::uint64_t hellos = 0; ///< clients that answered client.hello
    json last_hello;          ///< null until one answered
};

// An integer that fits in int64_t (JSON numbers may be unsigned 64-bit).
bool as_int64(const json& x, std::int64_t& out) {
    if (x.is_number_unsigned()) {
        const auto u = x.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
        out = static_cast<std::int64_t>(u);
        return true;
    }
    if (!x.is_number_integer()) return false;
    out = x.get<std::int64_t>();
    return true;
}

// Integers add up to an integer (unless that overflows), anything else to a double.
json add(const std::vector<json>& operands) {
    if (operands.size() != 2 || !operands[0].is_number() || !operands[1].is_number())
        throw duplex::rpc::rpc_error(duplex::rpc::code::invalid_params, "add wants two numbers: [a, b]");
    std::int64_t a = 0, b = 0, sum = 0;
    if (as_int64(operands[0], a) && as_int64(operands[1], b) && !__builtin_add_overflow(a, b, &sum)) return sum;
    return operands[0].get<double>() + operands[1].get<double>();
}

std::shared_ptr<duplex::rpc::registry<>> make_methods(counters& count, const rpc_server& server) {
    auto methods = std::make_shared<duplex::rpc::registry<>>();
    methods->add("add", [&count](const std::vector<json>& operands) {
        auto sum = add(operands);
        ++count.calls;
        return sum;
    });
    methods->add("uppercase", [&count](const std::vector<std::string>& args) {
        if (args.size() != 1) throw duplex::rpc::rpc_error(duplex::rpc::code::invalid_params, "uppercase wants [text]");
        std::string text = args[0];
        for (auto& ch : text)
            if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
        ++count.calls;
        return text;
    });
    methods->add("stats", [&count, &server](const json&) {
        ++count.calls;
        const auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - count.started).count();
        return json{{"connections", server.connection_count()},
                    {"calls", count.calls},
                    {"notes", count.notes},
                    {"hellos", count.hellos},
                    {"last_hello", count.last_hello},
                    {"uptime_s", uptime}};
    });
    methods->on("note", [&count](const json& payload, duplex::rpc::registry<>::ack acknowledge) {
        ++count.notes;
        std::fprintf(stderr, "rpc_service: note %s\n",
                     payload.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
        acknowledge({{"stored", true}, {"notes", count.notes}});
    });
    return methods;
}

int run(const options& o) {
    asio::io_context io(ASIO_CONCURRENCY_HINT_UNSAFE_IO);
    rpc_server server{io};
    counters count;
    const auto methods = make_methods(count, server);

    auto& route = server.route("/rpc");
    route.on_open = [&](const connection_ptr& c) {
        c->data().rpc = rpc_session::make(c, methods);
        // The other direction: the service calls the client.
        c->data().rpc->call(
            "client.hello", {{"service", "rpc_service"}, {"version", 1}},
            [&count](const duplex::rpc::outcome& r) {
                if (!r.ok) {
                    std::fprintf(stderr, "rpc_service: client.hello failed: %d %s\n", r.error.code,
                                 r.error.message.c_str());
                    return;
                }
                ++count.hellos;
                count.last_hello = r.result;
            },
            std::chrono::seconds(5));
    };
    route.on_message = [](const connection_ptr& c, const duplex::message& m) {
        if (!c->data().rpc->handle(m)) c->close(duplex::close_code::unsupported_data, "JSON-RPC text only");
    };
    route.on_close = [](const connection_ptr& c, const duplex::close_info&) {
        if (c->data().rpc) c->data().rpc->close();
    };

    example::stop_on_signals signals(io, [&server] {
        server.stop(); // close 1001, then io.run() returns when all are gone
    });
    if (const auto ec = server.listen(o.port, o.host)) {
        std::fprintf(stderr, "rpc_service: cannot listen on %s: %s\n", example::host_port(o.host, o.port).c_str(),
                     ec.message().c_str());
        return 1;
    }
    example::print_listening(o.host, server.port());
    std::fprintf(stderr, "try: rpc_client ws://%s/rpc add '[2, 3]'\n",
                 example::host_port(o.host, server.port()).c_str());

    io.run();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return run(parse(argc, argv));
}
