// The narrow interface between a connection and the endpoint that owns it (a
// basic_server or basic_client): the only code outside the connection that
// reaches its internals, and only through these functions.
#pragma once

#include <duplex/connection/connection.hpp>

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace duplex::detail {

/// What an endpoint does with its connections: attach itself as owner, start
/// the handshake of its role, and (server) decide the upgrade.
struct connection_access {
    template <class Connection>
    using finished_fn = void (*)(void* owner, Connection&);

    /// The owner is told when the connection ends (a plain function, so that no
    /// connection allocates for it); its metrics sink counts the connection.
    template <class Connection>
    static void attach(Connection& c, void* owner, std::common_type_t<finished_fn<Connection>> finished,
                       typename Connection::metrics_type* metrics) noexcept {
        c.owner_ = owner;
        c.on_finished_ = finished;
        c.metrics_ = metrics;
    }

    // ---- server side: request, decision, answer

    /// Read the request (after the TLS handshake); `on_request` runs on the
    /// connection's executor once upgrade(c) holds it, checked or failed.
    template <class Connection, class OnRequest>
    static void start_server(Connection& c, OnRequest on_request, const protocol::session_options& limits) {
        c.start_server(std::move(on_request), limits);
    }
    /// The sans-I/O handshake of a connection that has not opened yet.
    template <class Connection>
    static auto& upgrade(Connection& c) noexcept {
        return *c.handshake_->upgrade;
    }
    /// Still in the opening handshake (not answered, not ended)?
    template <class Connection>
    static bool handshaking(const Connection& c) noexcept {
        return c.phase_ == Connection::phase::handshake;
    }
    /// Run on the connection's executor (inline when already there).
    template <class Connection, class Fn>
    static void run(Connection& c, Fn&& fn) {
        c.run(std::forward<Fn>(fn));
    }
    /// The path parameters of the route that matched.
    template <class Connection>
    static void set_params(Connection& c, std::vector<std::pair<std::string, std::string>> params) {
        c.params_ = std::move(params);
    }
    /// Answer with `response` (an HTTP error or page) and close.
    template <class Connection>
    static void respond_and_close(Connection& c, std::string response) {
        c.respond_and_close(std::move(response));
    }
    /// Open: upgrade(c) was accepted (its 101 written); the connection takes its
    /// subprotocol and extension and starts with these handlers and limits.
    template <class Connection>
    static void open(Connection& c, std::shared_ptr<const typename Connection::handlers_type> handlers,
                     const protocol::session_options& options) {
        c.accept(std::move(handlers), options);
    }
    /// Server bookkeeping: whether the connection counts as open (accepted) or
    /// as handshaking when it ends.
    template <class Connection>
    static bool& counted_open(Connection& c) noexcept {
        return c.counted_open_;
    }

    // ---- client side

    /// A connect attempt failed before the handshake started: the connection
    /// ends, reporting `ec` to handlers' on_error, unless it was closed already.
    template <class Connection>
    static void fail(Connection& c, std::shared_ptr<const typename Connection::handlers_type> handlers, error_code ec) {
        if (c.phase_ != Connection::phase::handshake) return;
        c.handlers_ = std::move(handlers);
        c.finish(ec);
    }

    /// Write the request, check the 101, open with `handlers` (or report the failure).
    template <class Connection>
    static void start_client(Connection& c, protocol::client_upgrade_options upgrade,
                             std::shared_ptr<const typename Connection::handlers_type> handlers,
                             const protocol::session_options& options, std::string tls_host) {
        c.start_client(std::move(upgrade), std::move(handlers), options, std::move(tls_host));
    }
};

} // namespace duplex::detail
