/// @file
/// basic_server<Config>: accepts connections, routes them by path to WebSocket
/// endpoints or a plain HTTP handler, and enforces the server's limits.
#pragma once

#include <duplex/config/asio.hpp>
#include <duplex/connection/connection.hpp>
#include <duplex/server/rate_limit.hpp>
#include <duplex/server/route.hpp>
#include <duplex/server/upgrade_request.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace duplex {

/// A plain HTTP response for requests that are not upgrades
/// (basic_server::on_http()). It is sent with Content-Length and
/// `Connection: close`; the connection ends after it.
struct http_response {
    int status = 200;                                       ///< the HTTP status code
    std::string body;                                       ///< the body; not sent in the answer to a HEAD request
    std::string content_type = "text/plain; charset=utf-8"; ///< empty: no Content-Type field
    /// Extra header fields; one with an invalid name or value is left out.
    handshake::header_fields headers;
};

/// One WebSocket endpoint of a server: its handlers, upgrade hook and limits.
template <class Connection>
struct endpoint : connection_handlers<Connection> {
    /// Inspect, accept or reject the handshake (optional). Runs on the
    /// connection's executor once the request passed the RFC 6455 4.2.1
    /// checks and the server's limits; if it neither decides nor defers, the
    /// upgrade is accepted.
    std::function<void(upgrade_request<Connection>&)> on_upgrade;
    /// Limits of this endpoint's connections; route() sets them from the
    /// Config (session_limits()). Leave auto_pong and streaming as they are:
    /// a connection sends no pong of its own and delivers whole messages only.
    protocol::session_options options;
    /// Extension negotiation, e.g. extensions::deflate_negotiator() for
    /// permessage-deflate (RFC 7692); null: extensions are declined.
    extension_negotiator negotiate_extensions;
};

/// A WebSocket server (RFC 6455 4.2): accepts connections, reads each
/// request and routes it by path to an endpoint (route()) or to the plain HTTP
/// handler (on_http()). Past its limits it answers 503
/// (Config::max_connections, max_connections_per_address) or 429
/// (handshakes_per_second_per_address) before the endpoint's hook runs, and
/// refuses new connections at accept beyond max_handshaking.
/// Not copyable; keep it alive while the io_context runs.
///
/// @par Thread safety
/// route(), on_http() and listen() are not synchronized: set the server up
/// before connections arrive. stop(), connection_count() and
/// handshake_count() may be called from any thread; for_each_connection() may
/// not. Endpoints' handlers run on each connection's executor.
template <class Config>
class basic_server {
public:
    /// The Config the server was made with.
    using config_type = Config;
    /// The connections this server makes.
    using connection_type = basic_connection<Config>;
    /// How connections are held and passed to handlers.
    using connection_ptr = std::shared_ptr<connection_type>;
    /// What route() returns: an endpoint's handlers, hook and limits.
    using endpoint_type = endpoint<connection_type>;
    /// Answers a request that is not an upgrade; runs on that connection's
    /// executor, so several may run at once on a multi-threaded server.
    using http_handler = std::function<http_response(const handshake::http_request&)>;

    /// The connections' transport (Config::transport, or transport::tcp).
    using transport_type = typename connection_type::transport_type;
    /// The TLS context a TLS server is made with (unused by plain transports).
    using tls_context_type = typename transport_type::context_type;

    /// A server without TLS (transport::tcp, transport::unix_socket).
    explicit basic_server(asio::io_context& io)
        : io_(io), strand_(asio::make_strand(io.get_executor())), acceptor_(strand_) {
        static_assert(!transport_type::secure, "a TLS server needs a TLS context: basic_server(io, context)");
    }
    /// A TLS server; `context` holds the certificate and key and must outlive the server.
    basic_server(asio::io_context& io, tls_context_type& context)
        : io_(io), strand_(asio::make_strand(io.get_executor())), acceptor_(strand_), tls_context_(&context) {}
    basic_server(const basic_server&) = delete;
    basic_server& operator=(const basic_server&) = delete;
    /// Closes the listening socket only. Open connections still report back to
    /// the server: destroy it once its io_context no longer runs.
    ~basic_server() { close_acceptor(); }

    /// Add a WebSocket endpoint for a path pattern ("/chat", "/rooms/{id}",
    /// "/*"; see path_pattern). Routes are tried in the order they were added;
    /// the first match wins. Configure the returned endpoint before listen();
    /// the reference stays valid for the server's life.
    endpoint_type& route(std::string pattern) {
        routes_.push_back({path_pattern(std::move(pattern)), std::make_shared<endpoint_type>()});
        auto& e = *routes_.back().second;
        e.options = session_limits<Config>();
        return e;
    }

    /// Handle plain HTTP requests (pages, health checks, /metrics). Without
    /// one, non-upgrade requests get 404 (or 426 on a WebSocket route). The
    /// connection closes after the response. Set it before listen().
    void on_http(http_handler handler) { http_ = std::move(handler); }

    /// Listen on host:port, IPv4 or IPv6 (port 0 picks a free one; see port()),
    /// and start accepting on the io_context. TCP transports only.
    /// @param host a numeric address ("0.0.0.0", "::", "127.0.0.1"); names
    /// are not resolved.
    /// @return the error of parsing `host`, or of opening, binding
    /// (e.g. address_in_use) or listening on the socket; empty on success.
    error_code listen(std::uint16_t port, const std::string& host = "0.0.0.0") {
        static_assert(std::is_same_v<protocol_type, asio::ip::tcp>, "a Unix socket server uses listen_unix()");
        error_code ec;
        const auto address = asio::ip::make_address(host, ec);
        if (ec) return ec;
        return listen_on(asio::ip::tcp::endpoint(address, port));
    }

    /// Listen on a Unix domain socket at `path` (transport::unix_socket configs).
    /// An existing file at `path` is unlinked first, whatever it is.
    /// @return the error of opening, binding or listening; empty on success.
    error_code listen_unix(const std::string& path) {
        static_assert(!std::is_same_v<protocol_type, asio::ip::tcp>, "listen_unix() needs transport::unix_socket");
        ::unlink(path.c_str());
        return listen_on(typename protocol_type::endpoint(path));
    }

    /// The bound port (useful after listen(0)); 0 before listen(), and for a
    /// Unix domain socket.
    std::uint16_t port() const {
        error_code ec;
        if constexpr (std::is_same_v<protocol_type, asio::ip::tcp>)
            return acceptor_.local_endpoint(ec).port();
        else
            return 0;
    }

    /// Stop accepting, close every connection with 1001 (going away, RFC 6455
    /// 7.4.1), and abort those that have not finished after
    /// Config::stop_timeout. Returns at once; the work runs on the io_context.
    /// Thread-safe.
    void stop() {
        asio::post(strand_, [this] {
            stopping_ = true;
            close_acceptor();
            accept_timer_.cancel();
            if (connections_.empty()) return;
            for (const auto& c : connections_)
                c->close(close_code::going_away, "server shutting down");
            stop_timer_.expires_after(Config::stop_timeout);
            stop_timer_.async_wait([this](error_code ec) {
                if (ec) return; // every connection finished in time
                const auto remaining = connections_;
                for (const auto& c : remaining)
                    c->abort();
            });
        });
    }

    /// The metrics sink (Config::metrics) every connection of this server
    /// counts in; render counter_metrics with prometheus().
    typename Config::metrics& metrics() noexcept { return metrics_; }

    /// Open (upgraded) connections. Thread-safe.
    std::size_t connection_count() const noexcept { return open_count_.load(std::memory_order_relaxed); }

    /// Accepted connections still in their opening handshake (TLS, the
    /// request, the upgrade hook, or a rejection being written). Thread-safe.
    std::size_t handshake_count() const noexcept { return handshaking_.load(std::memory_order_relaxed); }

    /// Call fn(connection_ptr) for every open connection. Not thread-safe: the
    /// set is the accept loop's; call it from a handler of a single-threaded
    /// io_context, not from another thread nor on a multi-threaded server.
    template <class Fn>
    void for_each_connection(Fn&& fn) const {
        for (const auto& c : connections_)
            if (c->is_open()) fn(c);
    }

private:
    using access = detail::connection_access;
    using executor_type = typename connection_type::executor_type;

    using protocol_type = typename transport_type::protocol;

    error_code listen_on(const typename protocol_type::endpoint& ep) {
        error_code ec;
        acceptor_.open(ep.protocol(), ec);
        if (ec) return ec;
        if constexpr (std::is_same_v<protocol_type, asio::ip::tcp>)
            acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
        acceptor_.bind(ep, ec);
        if (ec) return ec;
        acceptor_.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) return ec;
        stopping_ = false;
        do_accept();
        return {};
    }

    void close_acceptor() {
        error_code ignored;
        acceptor_.close(ignored);
    }

    void do_accept() {
        auto executor = detail::make_executor<Config>(io_);
        acceptor_.async_accept(executor, [this, executor](error_code ec, typename connection_type::socket_type socket) {
            if (ec == asio::error::operation_aborted || stopping_) return;
            if (ec) return accept_failed(ec);
            start(executor, std::move(socket));
            do_accept();
        });
    }

    // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS): the connection
    // stays in the backlog and accept() would fail again at once, so accepting
    // at once again would spin. Wait, then try again.
    void accept_failed(error_code ec) {
        using metrics_type = typename Config::metrics;
        if constexpr (metrics_type::enabled && detail::has_accept_failed<metrics_type>::value) metrics_.accept_failed();
        detail::log<typename Config::logger>(log_level::warning, [&] {
            return "accept failed (" + ec.message() + "); retrying in " +
                   std::to_string(Config::accept_retry_delay.count()) + " ms";
        });
        accept_timer_.expires_after(Config::accept_retry_delay);
        accept_timer_.async_wait([this](error_code wait_ec) {
            if (wait_ec || stopping_) return;
            do_accept();
        });
    }

    // Beyond Config::max_handshaking: no connection object and no read. Plain
    // transports get a best-effort 503 (the request is not read), then the
    // socket closes; a TLS client sees the connection close.
    void refuse(typename connection_type::socket_type& socket) {
        if constexpr (decltype(metrics_)::enabled) metrics_.handshake_rejected(503);
        error_code ignored;
        if constexpr (!transport_type::secure) {
            static const std::string response = handshake::build_reject_response(
                503, "server busy: too many handshakes in progress", {{"Retry-After", "1"}});
            socket.non_blocking(true, ignored);
            socket.write_some(asio::buffer(response), ignored);
            socket.shutdown(asio::socket_base::shutdown_send, ignored);
        }
        socket.close(ignored);
    }

    // Connections are tracked on the server's thread; connection callbacks hop here.
    void start(executor_type executor, typename connection_type::socket_type socket) {
        if (handshaking_.load(std::memory_order_relaxed) >= Config::max_handshaking) return refuse(socket);
        handshaking_.fetch_add(1, std::memory_order_relaxed);
        auto c = std::make_shared<connection_type>(
            executor, transport_type::template wrap<executor_type>(std::move(socket), tls_context_));
        connections_.insert(c);
        {
            const std::lock_guard<std::mutex> lock(per_address_mutex_);
            ++per_address_[c->remote_address()];
        }
        access::attach(
            *c, this,
            [](void* owner, connection_type& conn) { static_cast<basic_server*>(owner)->connection_finished(conn); },
            &metrics_);
        access::start_server(
            *c, [this](const connection_ptr& conn) { handle_request(conn); }, session_limits<Config>());
    }

    void connection_finished(connection_type& conn) {
        if (access::counted_open(conn))
            open_count_.fetch_sub(1, std::memory_order_relaxed);
        else
            handshaking_.fetch_sub(1, std::memory_order_relaxed);
        asio::post(strand_, [this, c = conn.shared_from_this()] {
            connections_.erase(c);
            if (stopping_ && connections_.empty()) stop_timer_.cancel();
            const std::lock_guard<std::mutex> lock(per_address_mutex_);
            const auto it = per_address_.find(c->remote_address());
            if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
        });
    }

    std::shared_ptr<endpoint_type> find_route(std::string_view path,
                                              std::vector<std::pair<std::string, std::string>>& params) {
        for (auto& [pattern, e] : routes_)
            if (pattern.match(path, params)) return e;
        return nullptr;
    }

    void reject(const connection_ptr& c, int status, std::string_view body, handshake::header_fields headers = {}) {
        if constexpr (decltype(metrics_)::enabled) metrics_.handshake_rejected(status);
        access::respond_and_close(*c, handshake::build_reject_response(status, body, std::move(headers)));
    }

    // Runs on the connection's executor, once the connection's server_upgrade
    // read the request (and checked it, when it asks for an upgrade). What is
    // left here is the server's: routes, plain HTTP, limits and the hook.
    void handle_request(const connection_ptr& c) {
        auto& upgrade = access::upgrade(*c);
        const auto& request = *upgrade.request();
        std::vector<std::pair<std::string, std::string>> params;
        const auto e = find_route(request.path(), params);
        // Any upgrade marker makes it an upgrade attempt, judged by RFC 6455
        // (a missing Upgrade header is then a 400, not a page).
        if (!upgrade.is_upgrade()) {
            if (http_) {
                const auto response = http_(request);
                return access::respond_and_close(
                    *c, handshake::build_http_response(response.status,
                                                       request.method() == "HEAD" ? std::string_view{}
                                                                                  : std::string_view(response.body),
                                                       response.content_type, response.headers));
            }
            if (e) return reject(c, 426, "WebSocket endpoint: upgrade required", {{"Upgrade", "websocket"}});
            return reject(c, 404, "not found");
        }
        if (!e) return reject(c, 404, "no WebSocket endpoint at this path");
        if (upgrade.state() == protocol::upgrade_state::failed) { // RFC 6455 4.2.1: answered with its status
            if constexpr (decltype(metrics_)::enabled) metrics_.handshake_rejected(upgrade.status());
            return access::respond_and_close(*c, std::string(upgrade.output()));
        }
        if constexpr (Config::handshakes_per_second_per_address > 0) {
            if (!handshake_rate_.allow(c->remote_address()))
                return reject(c, 429, "too many handshakes from this address", {{"Retry-After", "1"}});
        }
        if (open_count_.load(std::memory_order_relaxed) >= Config::max_connections)
            return reject(c, 503, "server at its connection limit");
        if constexpr (Config::max_connections_per_address > 0) {
            // counted on accept, hence the >
            const std::lock_guard<std::mutex> lock(per_address_mutex_);
            const auto it = per_address_.find(c->remote_address());
            if (it != per_address_.end() && it->second > Config::max_connections_per_address)
                return reject(c, 503, "too many connections from this address");
        }
        access::set_params(*c, std::move(params));
        upgrade.options().negotiate_extensions = e->negotiate_extensions;
        auto decide = [this, c, e](bool ok, int status, std::string protocol, handshake::header_fields headers,
                                   std::string body) {
            access::run(*c,
                        [this, c, e, ok, status, p = std::move(protocol), h = std::move(headers), b = std::move(body)] {
                            if (!access::handshaking(*c)) return;
                            if (!ok) return reject(c, status, b, h);
                            access::upgrade(*c).accept(p, h); // negotiates the extension (RFC 7692) and writes the 101
                            open_count_.fetch_add(1, std::memory_order_relaxed);
                            handshaking_.fetch_sub(1, std::memory_order_relaxed);
                            access::counted_open(*c) = true;
                            // The connection shares the route's handlers (aliasing the endpoint).
                            std::shared_ptr<const typename connection_type::handlers_type> handlers(e, e.get());
                            access::open(*c, std::move(handlers), e->options);
                        });
        };
        upgrade_request<connection_type> hook(c, upgrade.release_request(), upgrade.offered_subprotocols(),
                                              upgrade.offered_extensions(), std::move(decide));
        if (e->on_upgrade) e->on_upgrade(hook);
        if (!hook.decided()) hook.accept();
    }

    asio::io_context& io_;
    asio::strand<asio::io_context::executor_type> strand_; // accepting and bookkeeping
    asio::basic_socket_acceptor<typename connection_type::transport_type::protocol> acceptor_;
    asio::steady_timer stop_timer_{strand_};
    asio::steady_timer accept_timer_{strand_};
    std::vector<std::pair<path_pattern, std::shared_ptr<endpoint_type>>> routes_;
    http_handler http_;
    std::unordered_set<connection_ptr> connections_;
    std::unordered_map<std::string, std::size_t> per_address_;
    std::mutex per_address_mutex_;
    keyed_rate_limiter handshake_rate_{Config::handshakes_per_second_per_address,
                                       std::max(1.0, Config::handshake_burst_per_address > 0
                                                         ? Config::handshake_burst_per_address
                                                         : Config::handshakes_per_second_per_address),
                                       100'000};
    std::atomic<std::size_t> open_count_{0};
    std::atomic<std::size_t> handshaking_{0};
    tls_context_type* tls_context_ = nullptr;
    typename Config::metrics metrics_;
    bool stopping_ = false;
};

/// A plain (ws://) TCP server with the default configuration (config::server).
using server = basic_server<config::server>;

} // namespace duplex
