// C++20: connect, send, read and close with co_await (built as C++20 in every run).
#include <duplex/client/message_stream.hpp>

#include "support/catch.hpp"
#include "support/loopback.hpp"

#include "support/asio.hpp"

#include <string>
#include <vector>

static_assert(DUPLEX_HAS_COROUTINES, "this group is compiled as C++20 with coroutine support");

using namespace duplex_test;
using namespace std::chrono_literals;

TEST_CASE("co_await connect, send, read and close", "[coroutines]") {
    io_thread thread;
    duplex::server server{thread.io};
    stop_before_destruction stop_first{thread};
    server.route("/echo").on_message = [](const auto& c, const duplex::message& m) { c->send(m.kind, m.data); };
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
    const std::string url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/echo";

    asio::io_context io{1};
    duplex::client client{io};
    std::vector<std::string> echoes;
    duplex::error_code after_close;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            auto stream = co_await duplex::async_connect(client, url, asio::use_awaitable);
            for (const char* text : {"one", "two", "three"}) {
                co_await stream->async_send(duplex::message_kind::text, text, asio::use_awaitable);
                auto message = co_await stream->async_read(asio::use_awaitable);
                echoes.push_back(message.data);
            }
            // The connection itself takes completion tokens too.
            co_await stream->connection()->async_send(duplex::message_kind::binary, "raw", asio::use_awaitable);
            echoes.push_back((co_await stream->async_read(asio::use_awaitable)).data);
            co_await stream->async_close(duplex::close_code::normal, "bye", asio::use_awaitable);
            try {
                co_await stream->async_read(asio::use_awaitable); // nothing more will come
            } catch (const std::system_error& e) {
                after_close = e.code();
            }
        },
        asio::detached);
    io.run_for(10s);
    CHECK(echoes == std::vector<std::string>{"one", "two", "three", "raw"});
    CHECK(after_close == duplex::error::closed);
}
