/// @file
/// basic_client<Config>: opens WebSocket connections to ws://, wss:// or
/// ws+unix: URLs, directly or through an HTTP proxy.
#pragma once

#include <duplex/client/url.hpp>
#include <duplex/config/asio.hpp>
#include <duplex/connection/connection.hpp>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace duplex {

/// What one basic_client::connect() sends in its opening handshake (RFC 6455
/// 4.1) besides the URL, and the proxy it goes through.
struct client_options {
    /// The Origin header (RFC 6455 10.2), for servers that check it; empty: none.
    std::string origin;
    /// The Sec-WebSocket-Protocol offer, most wanted first (RFC 6455 1.9);
    /// non-tokens are left out. A server's pick that was not offered fails the
    /// handshake with error::bad_response; the pick is the connection's subprotocol().
    std::vector<std::string> subprotocols;
    handshake::header_fields headers; ///< extra request fields: cookies, authorization, ...
    /// This connection's limits (message and frame sizes, fragments, UTF-8
    /// checks, ...), the same struct a server route's `options` is; unset:
    /// the Config's (session_limits<Config>()). A message over the limit
    /// closes the connection with 1009.
    std::optional<protocol::session_options> limits;
    /// The Sec-WebSocket-Extensions offer; empty offers none. Set it together
    /// with accept_extensions, e.g. with extensions::enable_deflate().
    std::string extensions;
    /// Checks the server's answer to `extensions` and makes the extension
    /// (RFC 6455 9.1). Null: a server that accepts any extension fails the
    /// handshake with error::bad_response.
    extension_negotiator accept_extensions;
    /// An HTTP proxy to tunnel through with CONNECT, as "http://host:port"
    /// (RFC 9110 9.3.6); empty for a direct connection. A TLS session runs
    /// inside the tunnel. Ignored on Unix domain sockets.
    std::string proxy;
    /// Extra headers for the CONNECT request (e.g. Proxy-Authorization); one
    /// with an invalid name or value is left out.
    handshake::header_fields proxy_headers;
};

/// A WebSocket client (RFC 6455 4.1). Each connect() makes one connection:
/// it resolves the host, connects (through an HTTP proxy if asked), and runs
/// the TLS and opening handshakes. Config decides the transport, hence the
/// URL scheme, and the limits. It does not reconnect; basic_resilient_client
/// does. Not copyable; keep it alive while its connections run: they count in
/// its metrics sink.
///
/// @par Thread safety
/// connect() may be called from any thread. Each attempt runs on its
/// connection's executor (a strand when Config::multi_threaded), and so do
/// that connection's handlers.
template <class Config>
class basic_client {
public:
    /// The Config the client was made with.
    using config_type = Config;
    /// The connections this client makes.
    using connection_type = basic_connection<Config>;
    /// How connections are held and passed to handlers.
    using connection_ptr = std::shared_ptr<connection_type>;
    /// The handlers connect() takes, for one connection.
    using handlers_type = connection_handlers<connection_type>;

    /// The connections' transport (Config::transport, or transport::tcp): it
    /// decides which URL scheme connect() takes.
    using transport_type = typename connection_type::transport_type;
    /// The TLS context a TLS client is made with (unused by plain transports).
    using tls_context_type = typename transport_type::context_type;

    /// A client without TLS (transport::tcp, transport::unix_socket).
    explicit basic_client(asio::io_context& io) : io_(io) {
        static_assert(!transport_type::secure, "a TLS client needs a TLS context: basic_client(io, context)");
    }
    /// A TLS client. `context` decides what is trusted (see
    /// tls::make_client_context()) and must outlive the connections; the host
    /// name of every URL is verified against the certificate and sent as SNI.
    basic_client(asio::io_context& io, tls_context_type& context) : io_(io), tls_context_(&context) {}

    /// Start one connection attempt to `url_text`. Returns the connection at
    /// once, before it is connected: on_open runs with it once the handshake
    /// succeeded; on_error reports with it, never with a null pointer, a
    /// failed attempt:
    /// - error::bad_url: the URL or the proxy's does not parse (parse_url()),
    ///   or its scheme does not fit the transport (wss:// needs TLS);
    /// - error::timeout: resolving, the TCP connect and the proxy tunnel took
    ///   over Config::connect_timeout, or the handshakes over Config::handshake_timeout;
    /// - error::handshake_failed: a status other than 101, which
    ///   handshake_status() gives, or a proxy that refused the tunnel (non-2xx;
    ///   handshake_status() then stays 0);
    /// - error::bad_response: a 101 that does not fit the request (RFC 6455
    ///   4.1), or an extension answer accept_extensions refused;
    /// - the resolver's, the socket's or the TLS layer's error.
    ///
    /// close() or abort() while it is still connecting (resolving, TCP, proxy
    /// tunnel) ends the attempt quietly; once the TLS or WebSocket handshake
    /// has started, on_error gets error::closed.
    /// @param url_text ws://host[:port][/path][?query], wss://... or ws+unix:...
    /// @param handlers the connection's handlers, for its whole life.
    /// @param options what the handshake sends besides the URL, and the proxy.
    connection_ptr connect(const std::string& url_text, handlers_type handlers, client_options options = {}) {
        const auto executor = detail::make_executor<Config>(io_);
        auto c = std::make_shared<connection_type>(
            executor, transport_type::template make_stream<executor_type>(executor, tls_context_));
        access::attach(*c, nullptr, nullptr, &metrics_);
        auto state = std::make_shared<connect_state>(io_, executor, c, std::move(handlers), std::move(options));
        const auto u = parse_url(url_text);
        if (!u || u->secure != transport_type::secure || u->unix_socket != is_unix) {
            asio::post(executor, [state] { fail(state, make_error_code(error::bad_url)); });
            return c;
        }
        state->target = *u;
        state->timer.expires_after(Config::connect_timeout);
        state->timer.async_wait([state](error_code ec) {
            if (ec || state->done) return;
            state->resolver.cancel();
            fail(state, make_error_code(error::timeout));
        });
        const auto connected = [state](error_code ec) {
            if (abandoned(state)) return;
            if (ec) return fail(state, ec);
            state->done = true;
            state->timer.cancel();
            start(state);
        };
        asio::dispatch(executor, [state, connected, u = *u] {
            if (abandoned(state)) return;
            if constexpr (is_unix) {
                socket(state).async_connect(typename transport_type::protocol::endpoint(u.host), connected);
            } else {
                std::string host = u.host, port = std::to_string(u.port);
                if (!state->options.proxy.empty()) {
                    const auto proxy = parse_url(state->options.proxy);
                    if (!proxy || proxy->secure) return fail(state, make_error_code(error::bad_url));
                    host = proxy->host;
                    port = std::to_string(proxy->port);
                }
                const auto tcp_connected = [state, connected](error_code ec) {
                    if (abandoned(state) || ec || state->options.proxy.empty()) return connected(ec);
                    tunnel(state, connected);
                };
                state->resolver.async_resolve(
                    host, port,
                    asio::bind_executor(
                        state->executor, [state, connected = tcp_connected](error_code ec, auto results) {
                            if (abandoned(state)) return;
                            if (ec) return fail(state, ec);
                            asio::async_connect(socket(state), results,
                                                [connected](error_code ec2, const auto&) { connected(ec2); });
                        }));
            }
        });
        return c;
    }

    /// The io_context's executor: async_connect() completes on it when its
    /// handler has no executor of its own. Connections run on their own.
    asio::any_io_executor get_executor() const noexcept { return io_.get_executor(); }

    /// The metrics sink (Config::metrics) every connection of this client counts in.
    typename Config::metrics& metrics() noexcept { return metrics_; }

private:
    static constexpr bool is_unix = !std::is_same_v<typename transport_type::protocol, asio::ip::tcp>;
    using executor_type = typename connection_type::executor_type;

    using socket_type = typename connection_type::socket_type;
    using access = detail::connection_access;

    // One connect attempt. Everything here runs on the connection's executor.
    struct connect_state {
        connect_state(asio::io_context& io, executor_type ex, connection_ptr c, handlers_type h, client_options o)
            : executor(ex), resolver(io), timer(ex), connection(std::move(c)), handlers(std::move(h)),
              options(std::move(o)) {}
        executor_type executor;
        asio::ip::tcp::resolver resolver;
        asio::steady_timer timer;
        connection_ptr connection; // not yet connected; its stream's lowest layer is the socket
        url target;
        handlers_type handlers;
        client_options options;
        bool done = false;
    };

    static auto& socket(const std::shared_ptr<connect_state>& state) noexcept {
        return transport_type::lowest_layer(state->connection->stream());
    }
    // The attempt ended: it failed, or the user closed the connection before it opened.
    static bool abandoned(const std::shared_ptr<connect_state>& state) {
        if (state->done) return true;
        if (access::handshaking(*state->connection)) return false;
        state->done = true;
        state->resolver.cancel();
        state->timer.cancel();
        return true;
    }

    // Ask the proxy for a tunnel to the target (RFC 9110 9.3.6) and wait for its 2xx.
    template <class Then>
    static void tunnel(const std::shared_ptr<connect_state>& state, Then then) {
        const std::string authority = state->target.host.find(':') != std::string::npos
                                          ? "[" + state->target.host + "]:" + std::to_string(state->target.port)
                                          : state->target.host + ":" + std::to_string(state->target.port);
        std::string request = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
        for (const auto& [name, value] : state->options.proxy_headers)
            if (handshake::is_token(name) && handshake::is_safe_header_value(value))
                request += name + ": " + value + "\r\n";
        request += "\r\n";
        auto text = std::make_shared<std::string>(std::move(request));
        asio::async_write(socket(state), asio::buffer(*text), [state, text, then](error_code ec, std::size_t) {
            if (state->done) return;
            if (ec) return then(ec);
            read_tunnel_response(state, std::make_shared<handshake::response_parser>(), then);
        });
    }

    template <class Then>
    static void read_tunnel_response(const std::shared_ptr<connect_state>& state,
                                     std::shared_ptr<handshake::response_parser> parser, Then then) {
        // One byte at a time: nothing after the proxy's header block may be consumed.
        auto byte = std::make_shared<char>();
        asio::async_read(socket(state), asio::buffer(byte.get(), 1),
                         [state, parser, byte, then](error_code ec, std::size_t) {
                             if (state->done) return;
                             if (ec) return then(ec);
                             const auto r = parser->feed(byte.get(), 1);
                             if (r.status == handshake::parse_result::need_more)
                                 return read_tunnel_response(state, parser, then);
                             const int status = r.status == handshake::parse_result::done ? parser->get().status() : 0;
                             if (status < 200 || status > 299) return then(make_error_code(error::handshake_failed));
                             then(error_code{});
                         });
    }

    // The attempt failed: the connection ends and reports `ec` to on_error.
    static void fail(const std::shared_ptr<connect_state>& state, error_code ec) {
        if (state->done) return;
        state->done = true;
        state->timer.cancel();
        access::fail(*state->connection, std::make_shared<const handlers_type>(std::move(state->handlers)), ec);
    }

    static void start(const std::shared_ptr<connect_state>& state) {
        const auto& c = state->connection;
        protocol::client_upgrade_options upgrade;
        upgrade.request.host = state->target.host_header();
        upgrade.request.target = state->target.target;
        upgrade.request.origin = state->options.origin;
        upgrade.request.subprotocols = state->options.subprotocols;
        upgrade.request.headers = state->options.headers;
        upgrade.request.extensions = state->options.extensions;
        upgrade.accept_extensions = std::move(state->options.accept_extensions);
        const auto limits = state->options.limits ? *state->options.limits : session_limits<Config>();
        access::start_client(*c, std::move(upgrade), std::make_shared<const handlers_type>(std::move(state->handlers)),
                             limits, state->target.host);
    }

    asio::io_context& io_;
    tls_context_type* tls_context_ = nullptr;
    typename Config::metrics metrics_;
};

/// A plain TCP client with the default configuration.
using client = basic_client<config::client>;

} // namespace duplex
