// How a client's connect fails, as the error codes and conditions of
// duplex/error.hpp tell it: a malformed URL, a refused handshake, a 101 that
// does not complete the handshake, a server that never answers.
#include <duplex/duplex.hpp>

#include "support/catch.hpp"
#include "support/loopback.hpp"

#include "support/asio.hpp"

#include <chrono>
#include <map>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

template <class Config = duplex::config::client>
struct short_handshake : Config {
    static constexpr std::chrono::milliseconds handshake_timeout{300};
};

// Connect once; the error on_error reported (none if the connection opened).
template <class Client>
duplex::error_code connect_error(asio::io_context& io, Client& client, const std::string& url, bool* opened = nullptr) {
    duplex::error_code error;
    typename Client::handlers_type h;
    h.on_open = [&](const auto& c) {
        if (opened) *opened = true;
        c->close();
    };
    const void* reported = nullptr;
    h.on_error = [&](const auto& c, duplex::error_code ec) {
        error = ec;
        reported = c.get();
    };
    const auto attempt = client.connect(url, h);
    io.run_for(10s);
    if (error) CHECK(reported == attempt.get()); // on_error names the attempt connect() returned
    return error;
}

// A TCP server on its own thread that reads one HTTP request and answers it
// with `response` (nothing at all when empty), then holds the socket open.
class scripted_http_server {
public:
    explicit scripted_http_server(std::string response)
        : acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
          response_(std::move(response)), thread_([this] { serve(); }) {}
    ~scripted_http_server() {
        io_.stop();
        thread_.join();
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }

private:
    void serve() {
        acceptor_.async_accept(socket_, [this](duplex::error_code ec) {
            if (ec) return;
            asio::async_read_until(socket_, request_, "\r\n\r\n", [this](duplex::error_code e, std::size_t) {
                if (e || response_.empty()) return;
                asio::async_write(socket_, asio::buffer(response_), [](duplex::error_code, std::size_t) {});
            });
        });
        io_.run_for(15s);
    }

    asio::io_context io_{1};
    asio::ip::tcp::acceptor acceptor_;
    asio::ip::tcp::socket socket_{io_};
    asio::streambuf request_;
    std::string response_;
    std::thread thread_;
};

} // namespace

TEST_CASE("a client's connect fails with error::bad_url for a URL it cannot use", "[integration][errors]") {
    for (const char* url : {"not a url", "ftp://localhost/", "ws://", "ws://localhost:99999/", "ws://[::1/"}) {
        INFO(url);
        asio::io_context io{1};
        duplex::client client{io};
        const auto error = connect_error(io, client, url);
        CHECK(error == duplex::error::bad_url);
        CHECK(error != duplex::condition::handshake_failed);
    }
}

TEST_CASE("on_error names the failed attempt: the connection connect() returned", "[integration][errors]") {
    duplex_test::io_thread thread;
    duplex::server server{thread.io};
    duplex_test::stop_before_destruction stop_first{thread};
    server.route("/ok").on_open = [](const auto&) {};
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
    std::uint16_t closed_port = 0;
    {
        asio::io_context probe;
        asio::ip::tcp::acceptor a(probe, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        closed_port = a.local_endpoint().port(); // nothing listens there once `a` is gone
    }

    asio::io_context io{1};
    duplex::client client{io};
    std::map<const void*, duplex::error_code> errors;
    std::vector<const void*> opened;
    duplex::client::handlers_type h;
    h.on_open = [&](const auto& c) {
        opened.push_back(c.get());
        c->close();
    };
    h.on_error = [&](const auto& c, duplex::error_code ec) {
        REQUIRE(c);
        errors[c.get()] = ec;
    };
    const auto refused = client.connect("ws://127.0.0.1:" + std::to_string(closed_port) + "/", h);
    const auto bad = client.connect("ws://[::1/", h);
    const auto good = client.connect("ws://127.0.0.1:" + std::to_string(server.port()) + "/ok", h);
    REQUIRE(refused);
    REQUIRE(bad);
    REQUIRE(good);
    CHECK_FALSE(refused->is_open()); // not yet connected
    io.run_for(10s);
    CHECK(errors.size() == 2);
    CHECK(errors[refused.get()] == asio::error::connection_refused);
    CHECK(errors[bad.get()] == duplex::error::bad_url);
    CHECK(opened == std::vector<const void*>{good.get()});
    duplex::error_code late; // a failed attempt stays ended
    refused->async_send(duplex::message_kind::text, "x", [&](duplex::error_code ec) { late = ec; });
    io.restart();
    io.run_for(5s);
    CHECK(late == duplex::error::closed);
}

TEST_CASE("close() before the connection opens ends the attempt quietly", "[integration][errors]") {
    scripted_http_server silent(""); // accepts, never answers
    asio::io_context io{1};
    duplex::client client{io};
    int errors = 0, opens = 0;
    duplex::client::handlers_type h;
    h.on_open = [&](const auto&) { ++opens; };
    h.on_error = [&](const auto&, duplex::error_code) { ++errors; };
    // Closed at once (before even the TCP connect), and one closed while its TCP connect is under way.
    client.connect("ws://127.0.0.1:" + std::to_string(silent.port()) + "/", h)->close();
    const auto later = client.connect("ws://127.0.0.1:" + std::to_string(silent.port()) + "/", h);
    asio::post(io, [later] { later->abort(); });
    io.run_for(10s);
    CHECK(io.stopped()); // ran out of work: no timer or socket operation was left behind
    CHECK(errors == 0);
    CHECK(opens == 0);
}

TEST_CASE("a refused handshake is error::handshake_failed, with the status", "[integration][errors]") {
    duplex_test::io_thread thread;
    duplex::server server{thread.io};
    duplex_test::stop_before_destruction stop_first{thread};
    server.route("/private").on_upgrade = [](duplex::upgrade_request<duplex::server::connection_type>& request) {
        request.reject(403, "not for you");
    };
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));

    asio::io_context io{1};
    duplex::client client{io};
    duplex::error_code error;
    int status = 0;
    duplex::client::handlers_type h;
    h.on_error = [&](const auto& c, duplex::error_code ec) {
        error = ec;
        if (c) status = c->handshake_status();
    };
    client.connect("ws://127.0.0.1:" + std::to_string(server.port()) + "/private", h);
    io.run_for(10s);
    CHECK(error == duplex::error::handshake_failed);
    CHECK(error == duplex::condition::handshake_failed);
    CHECK(status == 403);
}

TEST_CASE("a 101 that does not complete the handshake is error::bad_response", "[integration][errors]") {
    // RFC 6455 4.1: the client fails the connection when Sec-WebSocket-Accept
    // is wrong or missing, or when the server picks what was not offered.
    const char* responses[] = {
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"),
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
        "not HTTP at all\r\n\r\n",
    };
    for (const char* response : responses) {
        INFO(response);
        scripted_http_server server(response);
        asio::io_context io{1};
        duplex::client client{io};
        bool opened = false;
        const auto error = connect_error(io, client, "ws://127.0.0.1:" + std::to_string(server.port()) + "/", &opened);
        CHECK_FALSE(opened);
        CHECK(error == duplex::error::bad_response);
        CHECK(error == duplex::condition::handshake_failed);
    }
}

TEST_CASE("a server that never answers the handshake is error::timeout", "[integration][errors][timers]") {
    scripted_http_server server(""); // reads the request, answers nothing
    asio::io_context io{1};
    duplex::basic_client<short_handshake<>> client{io};
    // (run_for's 10 s would end the test with no error at all if the deadline never fired)
    const auto error = connect_error(io, client, "ws://127.0.0.1:" + std::to_string(server.port()) + "/");
    CHECK(error == duplex::error::timeout);
    CHECK(error != duplex::condition::handshake_failed);
}
