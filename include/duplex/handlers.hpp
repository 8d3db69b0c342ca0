// The callbacks an endpoint invokes. Every handler is optional.
#pragma once

#include <duplex/handshake/token_list.hpp>
#include <duplex/message.hpp>
#include <duplex/protocol/extension.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace duplex {

/// Negotiates extensions at the handshake (e.g. permessage-deflate, see
/// duplex/extensions/permessage_deflate.hpp). Server: given the client's
/// offers, return the extension for the connection and set `header` to the
/// Sec-WebSocket-Extensions response value, or return null to decline.
/// Client: given what the server accepted, return the extension, or null with
/// `header` set to a reason to fail the handshake.
using extension_negotiator = std::function<std::shared_ptr<protocol::extension>(
    const std::vector<handshake::extension_offer>& offers, std::string& header)>;

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
    std::function<void(const ptr&, std::error_code)> on_error;
    /// The send queue fell below its low watermark after passing the high one.
    std::function<void(const ptr&)> on_drain;
};

} // namespace duplex
