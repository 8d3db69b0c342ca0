// rpc_client: calls one JSON-RPC method (or emits one event) and prints the result.
//
//   rpc_client URL METHOD [JSON-PARAMS]
//   rpc_client --emit URL EVENT [JSON-PAYLOAD]     (prints the acknowledgement)
//
//   rpc_client ws://127.0.0.1:8090/rpc add '[2, 3]'          prints 5
//
// Prints the result as JSON on stdout and exits 0; on an error response prints
// the error object on stderr and exits 1; exits 2 when the connection fails or
// ends before the response, 64 on a usage error. While connected it answers
// the service's "client.hello" call with {"name":"rpc_client","pid":N}: both
// sides call each other on the one connection.
#include "common/cli.hpp"

#include <duplex/duplex.hpp>
#include <duplex/rpc.hpp>

#include <asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

namespace {

using json = nlohmann::json;
using connection = duplex::client::connection_type;
using rpc_session = duplex::rpc::session<connection>;

constexpr int exit_ok = 0, exit_rpc_error = 1, exit_no_connection = 2, exit_usage = 64;

struct options {
    bool emit = false;
    std::string url, method;
    json params; // null: none
};

options parse(int argc, char** argv) {
    options o;
    std::optional<std::string> params;
    // Exit status 2 already means "no connection": usage errors have their own.
    example::command_line cli("rpc_client", "[--emit] URL METHOD [JSON-PARAMS]", exit_usage);
    cli.flag("--emit", o.emit);
    cli.argument("URL", o.url);
    cli.argument("METHOD", o.method);
    cli.argument("JSON-PARAMS", params);
    cli.parse(argc, argv);
    if (params) {
        o.params = json::parse(*params, nullptr, false);
        if (o.params.is_discarded()) cli.fail("not JSON: " + *params);
        // JSON-RPC 2.0 4.2: params are structured; an event's payload may be anything.
        if (!o.emit && !o.params.is_array() && !o.params.is_object())
            cli.fail("JSON-PARAMS must be an array or an object");
    }
    return o;
}

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

int run(const options& o) {
    asio::io_context io(ASIO_CONCURRENCY_HINT_UNSAFE_IO);
    duplex::client client{io};
    int status = exit_no_connection;
    bool answered = false, greeted = false;
    std::shared_ptr<rpc_session> rpc;
    std::shared_ptr<connection> open_connection;
    asio::steady_timer grace(io);

    // Once our call is answered, wait a moment for the service's hello before leaving.
    const auto close_when_done = [&] {
        if (!answered || !open_connection) return;
        if (greeted) return open_connection->close(duplex::close_code::normal);
        grace.expires_after(std::chrono::seconds(1));
        grace.async_wait([&](std::error_code ec) {
            if (!ec && open_connection) open_connection->close(duplex::close_code::normal);
        });
    };

    auto methods = std::make_shared<duplex::rpc::registry<>>();
    methods->add("client.hello", [&](const json& greeting) {
        std::fprintf(stderr, "rpc_client: hello from %s\n", dump(greeting).c_str());
        greeted = true;
        grace.cancel();
        // After this reply is sent, not before.
        asio::post(io, close_when_done);
        return json{{"name", "rpc_client"}, {"pid", ::getpid()}};
    });

    duplex::client::handlers_type on;
    on.on_open = [&](const std::shared_ptr<connection>& c) {
        open_connection = c;
        rpc = rpc_session::make(c, methods);
        const auto done = [&](const duplex::rpc::outcome& r) {
            answered = true;
            if (r.ok) {
                std::printf("%s\n", dump(r.result).c_str());
                status = exit_ok;
            } else if (r.error.code == duplex::rpc::code::connection_closed) {
                std::fprintf(stderr, "rpc_client: the connection ended before the response\n");
                status = exit_no_connection;
            } else {
                json error = {{"code", r.error.code}, {"message", r.error.message}};
                if (!r.error.data.is_null()) error["data"] = r.error.data;
                std::fprintf(stderr, "rpc_client: error %s\n", dump(error).c_str());
                status = exit_rpc_error;
            }
            close_when_done();
        };
        if (o.emit)
            rpc->emit(o.method, o.params, done, std::chrono::seconds(10));
        else
            rpc->call(o.method, o.params, done, std::chrono::seconds(10));
    };
    on.on_message = [&](const std::shared_ptr<connection>&, const duplex::message& m) {
        if (rpc) rpc->handle(m);
    };
    on.on_close = [&](const std::shared_ptr<connection>&, const duplex::close_info&) {
        open_connection = nullptr;
        grace.cancel();
        if (rpc) rpc->close(); // a call still pending fails with connection_closed
    };
    on.on_error = [&](const std::shared_ptr<connection>& c, std::error_code ec) {
        if (!c) std::fprintf(stderr, "rpc_client: cannot connect to %s: %s\n", o.url.c_str(), ec.message().c_str());
    };
    client.connect(o.url, on);
    io.run();
    return status;
}

} // namespace

int main(int argc, char** argv) {
    return run(parse(argc, argv));
}
