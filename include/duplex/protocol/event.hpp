/// @file
/// What a session reports after consuming input.
#pragma once

#include <duplex/frame/opcode.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace duplex::protocol {

/// The kind of a data message.
enum class message_kind : std::uint8_t {
    text,  ///< UTF-8 text (opcode 0x1)
    binary ///< arbitrary bytes (opcode 0x2)
};

/// The opcode of a data message's first frame (RFC 6455 5.6).
constexpr frame::opcode opcode_of(message_kind kind) noexcept {
    return kind == message_kind::text ? frame::opcode::text : frame::opcode::binary;
}

/// One event from session::next_event().
///
/// Views point into the session's buffers, so nothing is copied; they stay valid
/// until the next call to feed(), input_buffer(), commit_input(), next_event()
/// or release_idle_buffers(). Copy what must outlive that.
struct event {
    /// The values of `type`.
    enum type_t : std::uint8_t {
        none,         ///< no complete event yet: feed more bytes
        message,      ///< a whole data message in `data`
        message_part, ///< streaming mode: a part of a message; `fin` marks the last
        ping,         ///< payload in `data`; a pong was queued if auto_pong
        pong,         ///< payload in `data`
        close,        ///< the connection is closing or closed; see code and reason
    };
    type_t type = none;                       ///< what happened
    message_kind kind = message_kind::binary; ///< message, message_part: text or binary
    bool fin = true;                          ///< message_part: this is the last part
    std::string_view data;                    ///< payload of message, part, ping or pong
    std::uint16_t code = 0;                   ///< close: the peer's code, 1005 (none) or 1006 (transport lost)
    std::string_view reason;                  ///< close: the reason text
    /// close: true when this side failed the connection because the peer broke
    /// the protocol (code is then the one we sent: 1002, 1007, 1009, ...).
    bool protocol_error = false;

    /// True for every type but none, so `while (auto ev = s.next_event())` reads all that is ready.
    explicit operator bool() const noexcept { return type != none; }
    /// True for a text message or part.
    bool is_text() const noexcept { return kind == message_kind::text; }
};

} // namespace duplex::protocol
