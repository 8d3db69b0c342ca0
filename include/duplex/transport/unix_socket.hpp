// The Unix domain socket transport: WebSocket over a local stream socket
// (for a reverse proxy on the same host, or sidecars).
#pragma once

#include <duplex/config/asio.hpp>
#include <duplex/config/macros.hpp>

#include <cstdint>
#include <string>
#include <utility>

#if !DUPLEX_HAS_LOCAL_SOCKETS
#error "duplex::transport::unix_socket needs Asio's local sockets (POSIX)"
#endif

namespace duplex::transport {

struct unix_socket {
    using protocol = asio::local::stream_protocol;
    template <class Executor>
    using socket = asio::basic_stream_socket<protocol, Executor>;
    template <class Executor>
    using stream = socket<Executor>;
    struct context_type {};

    static constexpr bool secure = false;

    template <class Executor>
    static stream<Executor> wrap(socket<Executor>&& s, context_type*) {
        return std::move(s);
    }
    template <class Stream>
    static auto& lowest_layer(Stream& s) noexcept {
        return s;
    }
    template <class Socket>
    static void prepare(Socket&) {}
    template <class Socket>
    static void describe_peer(Socket&, std::string& address, std::uint16_t& port) {
        address = "unix";
        port = 0;
    }
    template <class Stream, class Handler>
    static void async_handshake(Stream&, bool, const std::string&, Handler&& handler) {
        handler(error_code{});
    }
};

} // namespace duplex::transport
