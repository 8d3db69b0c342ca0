/// @file
/// WebSocket frame opcodes (RFC 6455 5.2).
#pragma once

#include <cstdint>

namespace duplex::frame {

/// A frame opcode. Values 3-7 and 0xB-0xF are reserved and never valid on the wire.
enum class opcode : std::uint8_t {
    continuation = 0x0, ///< a later frame of a fragmented message (RFC 6455 5.4)
    text = 0x1,         ///< the first frame of a UTF-8 text message
    binary = 0x2,       ///< the first frame of a binary message
    close = 0x8,        ///< starts or answers the closing handshake (RFC 6455 5.5.1)
    ping = 0x9,         ///< asks for a pong with the same payload (RFC 6455 5.5.2)
    pong = 0xA,         ///< answers a ping, or is sent alone as a heartbeat (RFC 6455 5.5.3)
};

/// True for close, ping and pong (RFC 6455 5.5: opcodes with the high bit set).
constexpr bool is_control(opcode op) noexcept {
    return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

/// True for the opcodes RFC 6455 defines; false for the reserved ones.
/// @param value the low 4 bits of a frame's first byte.
constexpr bool is_known_opcode(std::uint8_t value) noexcept {
    return value <= 0x2 || (value >= 0x8 && value <= 0xA);
}

} // namespace duplex::frame
