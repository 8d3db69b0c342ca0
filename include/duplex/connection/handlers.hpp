/// @file
/// The callbacks a connection invokes (connection_handlers). Every handler is optional.
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
///
/// @par Thread safety
/// Handlers run on the connection's executor; handlers of one connection never
/// run concurrently with each other. One handler set is shared by every
/// connection of a route, so handlers of different connections may run at
/// once on different threads (Config::multi_threaded).
template <class Connection>
struct connection_handlers {
    /// How the connection is passed (Connection::ptr).
    using ptr = std::shared_ptr<Connection>;
    /// The handshake completed; the connection can send.
    std::function<void(const ptr&)> on_open;
    /// A whole message arrived, reassembled and decompressed (text is UTF-8
    /// unless validate_utf8 was turned off). Its data is valid only during the call.
    std::function<void(const ptr&, const message&)> on_message;
    /// The connection ended, once per connection that opened, after on_error
    /// if there was an error. close_info tells how.
    std::function<void(const ptr&, const close_info&)> on_close;
    /// A ping arrived (RFC 6455 5.5.2); a pong was already queued when
    /// auto_pong is on. The payload is valid only during the call.
    std::function<void(const ptr&, std::string_view)> on_ping;
    /// A pong arrived (RFC 6455 5.5.3): the answer to ping() or to a keepalive
    /// ping, or an unsolicited one. The payload is valid only during the call.
    std::function<void(const ptr&, std::string_view)> on_pong;
    /// The connection ends because of `ec`: a transport or TLS error;
    /// error::timeout (handshake, keepalive pong or close deadline);
    /// error::closed (abort(), or close() before it opened); on a client, a
    /// failed connect or handshake (see basic_client::connect()). Not called
    /// for a close handshake, a transport the peer ended (end of stream) or a
    /// peer's protocol violation: on_close reports those.
    /// A server attaches a route's handlers when it accepts the upgrade, so
    /// nothing that fails before reaches them.
    std::function<void(const ptr&, error_code)> on_error;
    /// The send queue fell to its low watermark after rising above the high
    /// one (Config::send_queue_high_watermark, send_queue_low_watermark): a
    /// producer that paused on buffered_amount() may resume.
    std::function<void(const ptr&)> on_drain;
};

} // namespace duplex
