/// @file
/// The TCP transport policy (ws://): a plain stream socket with TCP_NODELAY.
#pragma once

#include <duplex/config/asio.hpp>
#include <duplex/config/macros.hpp>

#include <cstdint>
#include <string>
#include <system_error>
#include <utility>

/// Transport policies: what a connection's bytes travel over (TCP, TLS, Unix domain sockets).
namespace duplex::transport {

/// Plain TCP, the transport of a Config that names none.
///
/// A transport policy is a stateless struct of types and static functions
/// that basic_connection, basic_server and basic_client use to make, prepare
/// and inspect their stream; tls and unix_socket are the other two. A Config
/// selects one with `using transport = ...;`.
struct tcp {
    /// The Asio protocol of the server's acceptor and of endpoints.
    using protocol = asio::ip::tcp;
    /// The connected socket.
    template <class Executor>
    using socket = asio::basic_stream_socket<asio::ip::tcp, Executor>;
    /// What the connection reads and writes: here the socket itself.
    template <class Executor>
    using stream = asio::basic_stream_socket<asio::ip::tcp, Executor>;
    /// Shared state a stream needs (TLS: the ssl::context); none for TCP.
    struct context_type {};

    /// Whether the stream encrypts. False: clients take ws:// URLs, and
    /// servers and clients are made without a TLS context.
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

    /// TCP needs no handshake of its own: `handler(error_code{})` runs at once,
    /// inside this call.
    template <class Stream, class Handler>
    static void async_handshake(Stream&, bool /*server*/, const std::string& /*host*/, Handler&& handler) {
        handler(error_code{});
    }

    /// The socket under the stream, for options, cancel(), shutdown and close.
    template <class Stream>
    static auto& lowest_layer(Stream& s) noexcept {
        return s;
    }

    /// The peer's address and port, for logs, limits and the upgrade hook.
    /// Leaves both unchanged when the socket has no peer (it was reset already).
    template <class Socket>
    static void describe_peer(Socket& s, std::string& address, std::uint16_t& port) {
        error_code ec;
        const auto remote = s.remote_endpoint(ec);
        if (ec) return;
        address = remote.address().to_string();
        port = remote.port();
    }

    /// Called once the socket is connected: small frames go out at once
    /// (TCP_NODELAY). A failure to set the option is ignored.
    template <class Socket>
    static void prepare(Socket& s) {
        error_code ignored;
        s.set_option(asio::ip::tcp::no_delay(true), ignored);
    }
};

} // namespace duplex::transport
