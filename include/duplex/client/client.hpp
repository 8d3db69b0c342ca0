// basic_client<Config>: opens WebSocket connections to ws:// URLs.
#pragma once

#include <duplex/client/url.hpp>
#include <duplex/config/asio.hpp>
#include <duplex/connection/connection.hpp>

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace duplex {

/// What a client sends in its handshake besides the URL.
struct client_options {
    std::string origin;
    std::vector<std::string> subprotocols;
    handshake::header_fields headers; ///< cookies, authorization, ...
    /// Limits for received messages; defaults from the Config.
    std::size_t max_message_size = 0;
    /// Sec-WebSocket-Extensions offer, and the check of the server's answer
    /// (see extensions::enable_deflate() in duplex/client/enable_deflate.hpp).
    std::string extensions;
    extension_negotiator accept_extensions;
    /// An HTTP proxy to tunnel through with CONNECT, as "http://host:port"
    /// (RFC 9110 9.3.6); empty for a direct connection.
    std::string proxy;
    /// Extra headers for the CONNECT request (e.g. Proxy-Authorization).
    handshake::header_fields proxy_headers;
};

/// A WebSocket client. Connections it opens live on its io_context.
template <class Config>
class basic_client {
public:
    using config_type = Config;
    using connection_type = basic_connection<Config>;
    using connection_ptr = std::shared_ptr<connection_type>;
    using handlers_type = connection_handlers<connection_type>;

    using transport_type = typename connection_type::transport_type;
    using tls_context_type = typename transport_type::context_type;

    /// A plain client.
    explicit basic_client(asio::io_context& io) : io_(io) {
        static_assert(!transport_type::secure, "a TLS client needs a TLS context: basic_client(io, context)");
    }
    /// A TLS client. `context` decides what is trusted (see tls::make_client_context);
    /// the host name of every URL is verified against the certificate and sent as SNI.
    basic_client(asio::io_context& io, tls_context_type& context) : io_(io), tls_context_(&context) {}

    /// Connect to `url` (ws://host:port/path?query). on_open runs once the
    /// handshake succeeded; on_error reports a failed connect or handshake
    /// (error::bad_url, error::timeout, error::handshake_failed, error::bad_response
    /// or the socket's error).
    void connect(const std::string& url_text, handlers_type handlers, client_options options = {}) {
        const auto u = parse_url(url_text);
        if (!u || u->secure != transport_type::secure || u->unix_socket != is_unix) {
            asio::post(io_, [h = std::move(handlers)] {
                if (h.on_error) h.on_error(nullptr, make_error_code(error::bad_url));
            });
            return;
        }
        auto state = std::make_shared<connect_state>(io_, *u, std::move(handlers), std::move(options));
        state->tls_context = tls_context_;
        state->metrics = &metrics_;
        state->timer.expires_after(Config::connect_timeout);
        state->timer.async_wait([state](error_code ec) {
            if (!ec && !state->done) {
                state->done = true;
                state->resolver.cancel();
                error_code ignored;
                state->socket.close(ignored);
                if (state->handlers.on_error) state->handlers.on_error(nullptr, make_error_code(error::timeout));
            }
        });
        const auto connected = [state](error_code ec) {
            if (state->done) return;
            if (ec) return fail(state, ec);
            state->done = true;
            state->timer.cancel();
            start(state);
        };
        if constexpr (is_unix) {
            state->socket.async_connect(typename transport_type::protocol::endpoint(u->host), connected);
        } else {
            std::string host = u->host, port = std::to_string(u->port);
            if (!state->options.proxy.empty()) {
                const auto proxy = parse_url(state->options.proxy);
                if (!proxy || proxy->secure) return fail(state, make_error_code(error::bad_url));
                host = proxy->host;
                port = std::to_string(proxy->port);
            }
            const auto tcp_connected = [state, connected](error_code ec) {
                if (state->done || ec || state->options.proxy.empty()) return connected(ec);
                tunnel(state, connected);
            };
            state->resolver.async_resolve(host, port, [state, connected = tcp_connected](error_code ec, auto results) {
                if (state->done) return;
                if (ec) return fail(state, ec);
                asio::async_connect(state->socket, results,
                                    [connected](error_code ec2, const auto&) { connected(ec2); });
            });
        }
    }

    /// The io_context's executor (where connect() reports failures).
    asio::any_io_executor get_executor() const noexcept { return io_.get_executor(); }

    /// The metrics sink (Config::metrics) shared by this client's connections.
    typename Config::metrics& metrics() noexcept { return metrics_; }

private:
    static constexpr bool is_unix = !std::is_same_v<typename transport_type::protocol, asio::ip::tcp>;
    using executor_type = typename connection_type::executor_type;

    struct connect_state {
        connect_state(asio::io_context& io, url u, handlers_type h, client_options o)
            : executor(detail::make_executor<Config>(io)), resolver(io), socket(executor), timer(io),
              target(std::move(u)), handlers(std::move(h)), options(std::move(o)) {}
        executor_type executor;
        asio::ip::tcp::resolver resolver;
        typename connection_type::socket_type socket;
        asio::steady_timer timer;
        url target;
        handlers_type handlers;
        client_options options;
        tls_context_type* tls_context = nullptr;
        typename Config::metrics* metrics = nullptr;
        bool done = false;
    };

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
        asio::async_write(state->socket, asio::buffer(*text), [state, text, then](error_code ec, std::size_t) {
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
        asio::async_read(state->socket, asio::buffer(byte.get(), 1),
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

    static void fail(const std::shared_ptr<connect_state>& state, error_code ec) {
        state->done = true;
        state->timer.cancel();
        if (state->handlers.on_error) state->handlers.on_error(nullptr, ec);
    }

    static void start(const std::shared_ptr<connect_state>& state) {
        auto c = std::make_shared<connection_type>(state->executor, transport_type::template wrap<executor_type>(
                                                                        std::move(state->socket), state->tls_context));
        detail::connection_access::attach(*c, nullptr, nullptr, state->metrics);
        protocol::client_upgrade_options upgrade;
        upgrade.request.host = state->target.host_header();
        upgrade.request.target = state->target.target;
        upgrade.request.origin = state->options.origin;
        upgrade.request.subprotocols = state->options.subprotocols;
        upgrade.request.headers = state->options.headers;
        upgrade.request.extensions = state->options.extensions;
        upgrade.accept_extensions = std::move(state->options.accept_extensions);
        auto limits = session_limits<Config>();
        if (state->options.max_message_size) limits.max_message_size = state->options.max_message_size;
        asio::dispatch(state->executor, [c, upgrade = std::move(upgrade),
                                         h = std::make_shared<const handlers_type>(std::move(state->handlers)), limits,
                                         host = state->target.host]() mutable {
            detail::connection_access::start_client(*c, std::move(upgrade), std::move(h), limits, host);
        });
    }

    asio::io_context& io_;
    tls_context_type* tls_context_ = nullptr;
    typename Config::metrics metrics_;
};

/// A plain TCP client with the default configuration.
using client = basic_client<config::client>;

} // namespace duplex
