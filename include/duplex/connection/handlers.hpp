// The callbacks an endpoint invokes. Every handler is optional.
#pragma once

#include <duplex/config/system_error.hpp>
#include <duplex/connection/message.hpp>
#include <duplex/handshake/token_list.hpp>
#include <duplex/protocol/extension.hpp>
#include <duplex/protocol/upgrade.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace duplex {

/// Negotiates extensions at the handshake (e.g. permessage-deflate, see
/// duplex/server/deflate_negotiator.hpp); see protocol::extension_negotiator.
using extension_negotiator = protocol::extension_negotiator;

/// Handlers for the connections of one server route or one client connection.
/// Each receives the connection as a shared pointer the handler may keep.
/// Handlers of one connection never run concurrently with each other.
template <class Connection>
struct connection_handlers {
    using ptr = std::shared_ptr<Connection>;
    /// The handshake completed; the connection can send.
    std::function<void(const ptr&)> on_open;
    /// A whole message arrived. Its data is valid only during the call.
    std::function<void(const ptr&, const message&)> on_message;
    /// The connection ended (once per opened connection).
    std::function<void(const ptr&, const close_info&)> on_close;
    /// A ping arrived (a pong was already queued when auto-pong is on).
    std::function<void(const ptr&, std::string_view)> on_ping;
    std::function<void(const ptr&, std::string_view)> on_pong;
    /// A transport, TLS or handshake error (the connection then ends).
    std::function<void(const ptr&, error_code)> on_error;
    /// The send queue fell below its low watermark after passing the high one.
    std::function<void(const ptr&)> on_drain;
};

} // namespace duplex
