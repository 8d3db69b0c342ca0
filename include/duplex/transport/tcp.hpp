// The TCP transport policy: a plain stream socket with TCP_NODELAY.
#pragma once

#include <duplex/config/asio.hpp>
#include <duplex/config/macros.hpp>

#include <cstdint>
#include <string>
#include <system_error>
#include <utility>

namespace duplex::transport {

/// Plain TCP. A transport policy names the stream type per executor and how to
/// prepare a freshly connected or accepted stream.
struct tcp {
    using protocol = asio::ip::tcp;
    /// The connected socket.
    template <class Executor>
    using socket = asio::basic_stream_socket<asio::ip::tcp, Executor>;
    /// What the connection reads and writes: here the socket itself.
    template <class Executor>
    using stream = asio::basic_stream_socket<asio::ip::tcp, Executor>;
    /// Shared state a stream needs (TLS: the ssl::context); none for TCP.
    struct context_type {};

    static constexpr bool secure = false;

    template <class Executor>
    static stream<Executor> wrap(socket<Executor>&& s, context_type*) {
        return std::move(s);
    }

    /// TCP needs no handshake of its own.
    template <class Stream, class Handler>
    static void async_handshake(Stream&, bool /*server*/, const std::string& /*host*/, Handler&& handler) {
        handler(error_code{});
    }

    template <class Stream>
    static auto& lowest_layer(Stream& s) noexcept {
        return s;
    }

    /// The peer's address and port, for logs, limits and the upgrade hook.
    template <class Socket>
    static void describe_peer(Socket& s, std::string& address, std::uint16_t& port) {
        error_code ec;
        const auto remote = s.remote_endpoint(ec);
        if (ec) return;
        address = remote.address().to_string();
        port = remote.port();
    }

    /// Called once the socket is connected: small frames go out at once.
    template <class Socket>
    static void prepare(Socket& s) {
        error_code ignored;
        s.set_option(asio::ip::tcp::no_delay(true), ignored);
    }
};

} // namespace duplex::transport
