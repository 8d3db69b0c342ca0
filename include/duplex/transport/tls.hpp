// duplex: requires tls
// The TLS transport policy (wss): a tls_stream over TCP, through OpenSSL.
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
/// the host name and send SNI (see duplex/tls.hpp for ready-made contexts).
struct tls {
    using protocol = asio::ip::tcp;
    template <class Executor>
    using socket = asio::basic_stream_socket<asio::ip::tcp, Executor>;
    template <class Executor>
    using stream = tls_stream<socket<Executor>>;
    using context_type = asio::ssl::context;

    static constexpr bool secure = true;

    template <class Executor>
    static stream<Executor> wrap(socket<Executor>&& s, context_type* context) {
        return stream<Executor>(std::move(s), *context);
    }

    template <class Stream>
    static auto& lowest_layer(Stream& s) noexcept {
        return s.next_layer();
    }

    template <class Socket>
    static void prepare(Socket& s) {
        tcp::prepare(s);
    }
    template <class Socket>
    static void describe_peer(Socket& s, std::string& address, std::uint16_t& port) {
        tcp::describe_peer(s, address, port);
    }

    /// Run the TLS handshake. A client checks the certificate against `host`
    /// (RFC 6125 rules via OpenSSL) and sends it as SNI, unless the context's
    /// verify mode is verify_none.
    template <class Stream, class Handler>
    static void async_handshake(Stream& s, bool server, const std::string& host, Handler&& handler) {
        s.async_handshake(server, host, std::forward<Handler>(handler));
    }
};

} // namespace duplex::transport
