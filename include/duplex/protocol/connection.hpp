/// @file
/// A whole WebSocket connection without I/O, for an event loop of your own:
/// the opening handshake (protocol/upgrade.hpp) and then the session
/// (protocol/session.hpp), fed the same byte stream from its first byte.
///
/// @code
///   duplex::protocol::server_connection c;       // per accepted socket
///   c.feed(bytes, n);                            // whatever the socket gave
///   if (c.state() == upgrade_state::request_ready)
///       c.upgrade().is_upgrade() ? c.accept() : c.respond(404, "not found\n");
///   while (auto ev = c.next_event()) { ... c.session().send_text("hi"); }
///   while (!c.output().empty()) { write it; c.consume_output(written); }
///   if (c.should_close_transport()) close the socket;
/// @endcode
///
/// examples/sans_io_echo is a complete server on POSIX sockets and poll(2).
#pragma once

#include <duplex/frame/role.hpp>
#include <duplex/protocol/event.hpp>
#include <duplex/protocol/session.hpp>
#include <duplex/protocol/session_options.hpp>
#include <duplex/protocol/upgrade.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace duplex::protocol {

namespace detail {
// The upgrade, then the session behind it; output is the upgrade's bytes
// first, then the session's.
template <class Role, class Upgrade>
class upgraded_connection {
public:
    /// Every byte the peer sent, in order: the handshake, then frames.
    void feed(const void* data, std::size_t size) {
        if (upgrade_.state() == upgrade_state::open && opened_) return session_.feed(data, size);
        upgrade_.feed(data, size);
        open_if_ready();
    }
    void feed(std::string_view bytes) { feed(bytes.data(), bytes.size()); }

    /// The handshake's state; once open, the session's state() tells the rest.
    upgrade_state state() const noexcept { return upgrade_.state(); }
    Upgrade& upgrade() noexcept { return upgrade_; }
    const Upgrade& upgrade() const noexcept { return upgrade_; }
    protocol::session<Role>& session() noexcept { return session_; }

    /// The next event of the session (none before the handshake completed).
    event next_event() { return opened_ ? session_.next_event() : event{}; }

    /// Bytes to send: call until empty, consuming what was written.
    std::string_view output() const noexcept {
        if (!upgrade_.output().empty()) return upgrade_.output();
        return opened_ ? session_.output() : std::string_view{};
    }
    void consume_output(std::size_t n) noexcept {
        if (!upgrade_.output().empty())
            upgrade_.consume_output(n);
        else
            session_.consume_output(n);
    }

    /// Time to close the transport: the handshake failed and its response is
    /// out, or the session closed and its output is written.
    bool should_close_transport() const noexcept {
        if (upgrade_.state() == upgrade_state::failed) return upgrade_.output().empty();
        return opened_ && upgrade_.output().empty() && session_.should_close_transport();
    }

    /// The transport ended: the session's final close event (1006 without a
    /// close handshake), or none if it had not opened or had closed.
    event transport_closed() { return opened_ ? session_.transport_closed() : event{}; }

protected:
    template <class... Args>
    explicit upgraded_connection(session_options options, Args&&... upgrade_args)
        : upgrade_(std::forward<Args>(upgrade_args)...), session_(options) {}

    // Once the handshake succeeded: the negotiated extension plugs in and the
    // bytes behind the header block become the session's first input.
    void open_if_ready() {
        if (opened_ || upgrade_.state() != upgrade_state::open) return;
        opened_ = true;
        session_.set_extension(upgrade_.negotiated_extension().get());
        const auto first = upgrade_.leftover();
        if (!first.empty()) session_.feed(first.data(), first.size());
    }

    Upgrade upgrade_;
    protocol::session<Role> session_;
    bool opened_ = false;
};
} // namespace detail

/// What a server_connection accepts, and its limits once open.
struct server_connection_options {
    server_upgrade_options upgrade; ///< request limits, subprotocols, extension negotiator
    session_options session;        ///< limits once open
};

/// A server's connection from the first byte of the request to the close.
///
/// Members shared with client_connection (from an internal base class):
/// - `feed(data, size)`, `feed(bytes)`: every byte the peer sent, in order.
/// - `state()`: the handshake's upgrade_state; once open, `session().state()` tells the rest.
/// - `upgrade()`: the server_upgrade, for the request and what it offered.
/// - `session()`: the session, to send messages and read its state.
/// - `next_event()`: the session's next event; none before the handshake completed.
/// - `output()`, `consume_output(n)`: bytes to write, the response first, then frames.
/// - `should_close_transport()`: true once the handshake failed or the session
///   closed, and the output is written.
/// - `transport_closed()`: call when the transport ended; returns the final
///   close event (1006 without a close handshake), or none.
///
/// @par Thread safety
/// One thread at a time.
class server_connection : public detail::upgraded_connection<server_role, server_upgrade> {
public:
    /// A connection waiting for the first byte of the client's request.
    explicit server_connection(server_connection_options options = {})
        : upgraded_connection(options.session, std::move(options.upgrade)) {}

    /// Accept the upgrade (state() request_ready and upgrade().is_upgrade());
    /// see server_upgrade::accept(). The session opens at once, with the
    /// bytes that arrived behind the request as its first input.
    void accept(std::optional<std::string> subprotocol = std::nullopt, const handshake::header_fields& extra = {}) {
        upgrade_.accept(std::move(subprotocol), extra);
        open_if_ready();
    }
    /// Refuse the request with an HTTP status; the connection ends after the response.
    void reject(int status, std::string_view body, const handshake::header_fields& extra = {}) {
        upgrade_.reject(status, body, extra);
    }
    /// Answer a plain HTTP request; the connection ends after the response.
    void respond(int status, std::string_view body, std::string_view content_type = "text/plain; charset=utf-8",
                 const handshake::header_fields& headers = {}) {
        upgrade_.respond(status, body, content_type, headers);
    }
};

/// What a client_connection asks for, and its limits once open.
struct client_connection_options {
    client_upgrade_options upgrade; ///< the request and the extension negotiator
    session_options session;        ///< limits once open
};

/// A client's connection from the first byte of its request to the close:
/// output() holds the request from construction.
///
/// It has the members server_connection lists (feed(), state(), next_event(),
/// output(), ...), with a client_upgrade as upgrade(). The session opens as
/// soon as the server's response passes the checks of RFC 6455 4.1; a
/// refused or broken handshake leaves state() failed, with
/// `upgrade().error()` and `upgrade().reason()` telling why.
///
/// @par Thread safety
/// One thread at a time.
class client_connection : public detail::upgraded_connection<client_role, client_upgrade> {
public:
    /// Writes the upgrade request, with a fresh Sec-WebSocket-Key, into output().
    explicit client_connection(client_connection_options options)
        : upgraded_connection(options.session, std::move(options.upgrade)) {}
};

} // namespace duplex::protocol
