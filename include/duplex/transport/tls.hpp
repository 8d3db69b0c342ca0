// duplex: requires tls
/// @file
/// The TLS transport policy (wss://): a tls_stream over TCP, through OpenSSL.
/// Link the CMake target `%duplex::tls`.
#pragma once

#include <duplex/config/macros.hpp>

#if !DUPLEX_HAS_TLS
#error                                                                                                                 \
    "duplex/transport/tls.hpp needs OpenSSL: link the CMake target duplex::tls (or define DUPLEX_HAS_TLS=1 and link it yourself)"
#endif

#include <duplex/config/asio_ssl.hpp>
#include <duplex/transport/tcp.hpp>
#include <duplex/transport/tls_stream.hpp>

#include <string>
#include <system_error>
#include <utility>

namespace duplex::transport {

/// TLS over TCP. Servers present a certificate; clients verify the chain and
/// the host name and send SNI (contexts: duplex/transport/tls_context.hpp).
///
/// The TCP parts (prepare(), describe_peer()) are those of transport::tcp.
struct tls {
    /// The Asio protocol: TCP, as for ws://.
    using protocol = asio::ip::tcp;
    /// The connected TCP socket, before TLS.
    template <class Executor>
    using socket = asio::basic_stream_socket<asio::ip::tcp, Executor>;
    /// What the connection reads and writes: a tls_stream over the socket.
    template <class Executor>
    using stream = tls_stream<socket<Executor>>;
    /// The context every stream is made from (make_server_context(),
    /// make_client_context()); the server or client holds a reference to it.
    using context_type = asio::ssl::context;

    /// True: servers and clients need an ssl::context, clients take wss:// URLs
    /// only, and the connection uses tls_stream's holds_input(), sending() and
    /// release_buffers().
    static constexpr bool secure = true;

    /// A stream that is not connected yet, for a client to connect its lowest
    /// layer (built in place: no socket is moved).
    template <class Executor>
    static stream<Executor> make_stream(const Executor& executor, context_type* context) {
        return stream<Executor>(executor, *context);
    }

    /// The stream for a connected or accepted socket, made from `*context`.
    /// Throws system_error when OpenSSL cannot make the SSL object.
    template <class Executor>
    static stream<Executor> wrap(socket<Executor>&& s, context_type* context) {
        return stream<Executor>(std::move(s), *context);
    }

    /// The TCP socket under the TLS stream.
    template <class Stream>
    static auto& lowest_layer(Stream& s) noexcept {
        return s.next_layer();
    }

    /// Sets TCP_NODELAY, as tcp::prepare().
    template <class Socket>
    static void prepare(Socket& s) {
        tcp::prepare(s);
    }
    /// The peer's address and port, as tcp::describe_peer().
    template <class Socket>
    static void describe_peer(Socket& s, std::string& address, std::uint16_t& port) {
        tcp::describe_peer(s, address, port);
    }

    /// Run the TLS handshake (tls_stream::async_handshake()). A client sends a
    /// non-empty `host` as SNI unless it is an IP address, and checks the
    /// certificate against it when the context's verify mode is verify_peer.
    /// @param server true on the accepting side.
    /// @param host the URL's host on a client; ignored by a server.
    /// @param handler called as `handler(error_code)`; errors as for tls_stream.
    template <class Stream, class Handler>
    static void async_handshake(Stream& s, bool server, const std::string& host, Handler&& handler) {
        s.async_handshake(server, host, std::forward<Handler>(handler));
    }
};

} // namespace duplex::transport
