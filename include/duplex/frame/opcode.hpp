// WebSocket frame opcodes (RFC 6455 5.2).
#pragma once

#include <cstdint>

namespace duplex::frame {

/// A frame opcode. Values 3-7 and 0xB-0xF are reserved and never valid on the wire.
enum class opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

/// True for close, ping and pong (RFC 6455 5.5: opcodes with the high bit set).
constexpr bool is_control(opcode op) noexcept {
    return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

/// True for opcodes RFC 6455 defines; false for the reserved ones.
constexpr bool is_known_opcode(std::uint8_t value) noexcept {
    return value <= 0x2 || (value >= 0x8 && value <= 0xA);
}

} // namespace duplex::frame
