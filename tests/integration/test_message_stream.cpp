// Pull-style reading with completion tokens: callbacks in C++17, and co_await
// with asio::use_awaitable where the compiler has coroutines.
#include <duplex/message_stream.hpp>

#include "support/catch.hpp"
#include "support/loopback.hpp"

#include <string>

using namespace duplex_test;
using namespace std::chrono_literals;

namespace {
struct echo_server {
    io_thread thread;
    duplex::server server{thread.io};
    stop_before_destruction stop_first{thread};
    echo_server() {
        server.route("/echo").on_message = [](const auto& c, const duplex::message& m) { c->send(m.kind, m.data); };
        REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
    }
    std::string url() const { return "ws://127.0.0.1:" + std::to_string(server.port()) + "/echo"; }
};
} // namespace

TEST_CASE("message_stream with callbacks", "[integration][stream]") {
    echo_server s;
    asio::io_context io{1};
    duplex::client client{io};
    std::string got;
    duplex::error_code read_error;
    bool closed = false;
    duplex::async_connect(client, s.url(), [&](duplex::error_code ec, auto stream) {
        REQUIRE_FALSE(ec);
        stream->async_send(
            duplex::message_kind::text, "pulled", [stream, &got, &read_error, &closed](duplex::error_code) {
                stream->async_read(
                    [stream, &got, &read_error, &closed](duplex::error_code ec2, duplex::owned_message m) {
                        got = m.data;
                        stream->async_close(1000, "done", [stream, &read_error, &closed](duplex::error_code) {
                            closed = true;
                            stream->async_read(
                                [&read_error](duplex::error_code ec3, duplex::owned_message) { read_error = ec3; });
                        });
                        CHECK_FALSE(ec2);
                    });
            });
    });
    io.run_for(10s);
    CHECK(got == "pulled");
    CHECK(closed);
    CHECK(read_error == duplex::error::closed);
}

TEST_CASE("a refused connection is reported through the token", "[integration][stream]") {
    asio::io_context io{1};
    duplex::client client{io};
    duplex::error_code error;
    bool called = false;
    duplex::async_connect(client, "ws://127.0.0.1:1/none", [&](duplex::error_code ec, auto stream) {
        called = true;
        error = ec;
        CHECK(stream == nullptr);
    });
    io.run_for(10s);
    CHECK(called);
    CHECK(error);
}
