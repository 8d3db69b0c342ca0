/// @file
/// The Unix domain socket transport: WebSocket over a local stream socket
/// (for a reverse proxy on the same host, or sidecars). POSIX only.
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

/// WebSocket over a Unix domain stream socket, without TLS: servers listen
/// with listen_unix(path), clients take ws+unix: URLs (config::unix_server,
/// config::unix_client in duplex/unix_socket.hpp).
struct unix_socket {
    /// The Asio protocol: local stream sockets.
    using protocol = asio::local::stream_protocol;
    /// The connected socket.
    template <class Executor>
    using socket = asio::basic_stream_socket<protocol, Executor>;
    /// What the connection reads and writes: the socket itself.
    template <class Executor>
    using stream = socket<Executor>;
    /// No shared state.
    struct context_type {};

    /// No TLS: the server and client are made without a TLS context.
    static constexpr bool secure = false;

    /// A stream that is not connected yet, for a client to connect its lowest
    /// layer (built in place: no socket is moved).
    template <class Executor>
    static stream<Executor> make_stream(const Executor& executor, context_type*) {
        return stream<Executor>(executor);
    }

    /// The stream for a connected or accepted socket; the context is unused.
    template <class Executor>
    static stream<Executor> wrap(socket<Executor>&& s, context_type*) {
        return std::move(s);
    }
    /// The stream itself.
    template <class Stream>
    static auto& lowest_layer(Stream& s) noexcept {
        return s;
    }
    /// Nothing to set (no Nagle's algorithm on local sockets).
    template <class Socket>
    static void prepare(Socket&) {}
    /// Every peer is address "unix", port 0: per-address limits then count all
    /// peers as one address.
    template <class Socket>
    static void describe_peer(Socket&, std::string& address, std::uint16_t& port) {
        address = "unix";
        port = 0;
    }
    /// No handshake of its own: `handler(error_code{})` runs at once, inside this call.
    template <class Stream, class Handler>
    static void async_handshake(Stream&, bool, const std::string&, Handler&& handler) {
        handler(error_code{});
    }
};

} // namespace duplex::transport
