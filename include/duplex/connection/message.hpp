/// @file
/// What a message handler receives (message), and how a connection ended (close_info).
#pragma once

#include <duplex/protocol/event.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace duplex {

/// Text or binary (protocol::message_kind), the kind of a data message.
using protocol::message_kind;

/// A received message. `data` is valid only during the handler call; keep a
/// copy with to_string() (or copy the bytes) to use it later.
struct message {
    message_kind kind = message_kind::binary; ///< text (opcode 0x1) or binary (0x2)
    std::string_view data;                    ///< the payload, reassembled and decompressed

    /// True for a text message.
    bool is_text() const noexcept { return kind == message_kind::text; }
    /// True for a binary message.
    bool is_binary() const noexcept { return kind == message_kind::binary; }
    /// A copy of the payload that outlives the handler call.
    std::string to_string() const { return std::string(data); }
};

/// How a connection ended, as on_close reports it (RFC 6455 7.1.5, 7.1.6).
struct close_info {
    /// The peer's close code; 1005 when its close frame had none; 1006 when no
    /// close frame arrived (the transport ended or timed out first). With
    /// protocol_error, the code this side sent.
    std::uint16_t code = 1006;
    std::string reason; ///< the peer's close reason (UTF-8, may be empty); with protocol_error, ours
    /// true when this side failed the connection because the peer broke the
    /// protocol (code is then the one we sent: 1002, 1007, 1009, ...).
    bool protocol_error = false;
    /// true when the peer's close frame arrived and no protocol error occurred.
    bool clean = false;
};

} // namespace duplex
