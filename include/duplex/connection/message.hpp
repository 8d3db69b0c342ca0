// What a message handler receives, and the close information handlers see.
#pragma once

#include <duplex/protocol/event.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace duplex {

using protocol::message_kind;

/// A received message. `data` is valid only during the handler call; keep a
/// copy with to_string() (or copy the bytes) to use it later.
struct message {
    message_kind kind = message_kind::binary;
    std::string_view data;

    bool is_text() const noexcept { return kind == message_kind::text; }
    bool is_binary() const noexcept { return kind == message_kind::binary; }
    std::string to_string() const { return std::string(data); }
};

/// How a connection ended.
struct close_info {
    std::uint16_t code = 1006; ///< the peer's code; 1005 none; 1006 transport lost
    std::string reason;
    /// true when this side closed because the peer broke the protocol (code is the one we sent)
    bool protocol_error = false;
    /// true when the close handshake completed in both directions
    bool clean = false;
};

} // namespace duplex
