// Loopback test helpers: a server running on its own thread, and a blocking
// raw-socket client that can send anything, including what no client should.
#pragma once

#include <duplex/duplex.hpp>

#include "support/wire.hpp"

#include "support/asio.hpp"

#include <chrono>
#include <future>
#include <string>
#include <thread>

namespace duplex_test {

/// Poll `fn` until it holds or `limit` passes; true if it held.
template <class Fn>
bool eventually(Fn fn, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (fn()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return fn();
}

/// Runs an io_context on a background thread; joins on destruction.
class io_thread {
public:
    io_thread() : guard_(asio::make_work_guard(io)), thread_([this] { io.run(); }) {}
    ~io_thread() { stop(); }
    /// Stop the io_context and join the thread (idempotent).
    void stop() {
        guard_.reset();
        io.stop();
        if (thread_.joinable()) thread_.join();
    }
    /// Run fn on the io thread and wait for its result.
    template <class Fn>
    auto call(Fn fn) {
        std::packaged_task<decltype(fn())()> task(std::move(fn));
        auto result = task.get_future();
        asio::post(io, [&task] { task(); });
        return result.get();
    }
    asio::io_context io{1};

private:
    asio::executor_work_guard<asio::io_context::executor_type> guard_;
    std::thread thread_;
};

/// Declare after the objects that run on an io_thread (a server): it stops the
/// thread before they are destroyed, as a program must.
struct stop_before_destruction {
    io_thread& thread;
    ~stop_before_destruction() { thread.stop(); }
};

/// A blocking TCP client with a receive timeout, for speaking raw bytes.
class raw_client {
public:
    explicit raw_client(std::uint16_t port) : socket_(io_) {
        socket_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        timeval tv{5, 0}; // never hang a test
        ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    void send(const std::string& bytes) {
        duplex::error_code ec;
        asio::write(socket_, asio::buffer(bytes), ec);
    }
    int native_handle() { return socket_.native_handle(); }
    /// Read until the blank line of an HTTP response; returns the header block.
    std::string read_response_head() {
        std::string head;
        char c;
        duplex::error_code ec;
        while (head.size() < 65536 && head.find("\r\n\r\n") == std::string::npos) {
            if (socket_.read_some(asio::buffer(&c, 1), ec) != 1) break;
            head += c;
        }
        return head;
    }
    int read_status() {
        const auto head = read_response_head();
        return head.size() > 12 ? std::stoi(head.substr(9, 3)) : 0;
    }
    std::string upgrade(const std::string& path = "/echo", const std::string& extra = {}) {
        send("GET " + path +
             " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
             extra + "\r\n");
        return read_response_head();
    }
    /// Read one server frame: opcode and payload. opcode -1 on EOF or timeout.
    std::pair<int, std::string> read_frame() {
        std::uint8_t h[2];
        if (!read_exact(h, 2)) return {-1, {}};
        last_rsv = h[0] & 0x70;
        std::uint64_t n = h[1] & 0x7F;
        if (n == 126 || n == 127) {
            std::uint8_t ext[8];
            const std::size_t k = n == 126 ? 2 : 8;
            if (!read_exact(ext, k)) return {-1, {}};
            n = 0;
            for (std::size_t i = 0; i < k; ++i)
                n = (n << 8) | ext[i];
        }
        std::string payload(static_cast<std::size_t>(n), '\0');
        if (n && !read_exact(reinterpret_cast<std::uint8_t*>(payload.data()), payload.size())) return {-1, {}};
        return {h[0] & 0x0F, payload};
    }
    /// Read frames until a close; returns its code (0 if none came, -1 if no code).
    int read_close_code() {
        for (int i = 0; i < 10000; ++i) {
            const auto [op, payload] = read_frame();
            if (op < 0) return 0;
            if (op == 8)
                return payload.size() >= 2
                           ? (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1])
                           : -1;
        }
        return 0;
    }
    /// True once the server closed the TCP connection (EOF), waiting at most the receive timeout.
    bool closed_by_peer() {
        char c;
        duplex::error_code ec;
        for (int i = 0; i < 1000000; ++i) {
            socket_.read_some(asio::buffer(&c, 1), ec);
            if (ec == asio::error::eof || ec == asio::error::connection_reset) return true;
            if (ec) return false; // timeout
        }
        return false;
    }

    /// Send a FIN: this side writes no more (the server may still write).
    void shutdown_send() {
        duplex::error_code ec;
        socket_.shutdown(asio::socket_base::shutdown_send, ec);
    }

    /// RSV bits of the last frame read_frame() returned.
    int last_rsv = 0;

private:
    bool read_exact(std::uint8_t* p, std::size_t n) {
        duplex::error_code ec;
        asio::read(socket_, asio::buffer(p, n), ec);
        return !ec;
    }
    asio::io_context io_;
    asio::ip::tcp::socket socket_;
};

} // namespace duplex_test
