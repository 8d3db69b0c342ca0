// Building raw frames for tests, including ones no correct encoder would make.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace duplex_test {

/// Any frame: fin, rsv bits (0x70 mask), opcode, payload; masked with `key` when `masked`.
/// `length_override` writes a different length than the payload's (for broken frames).
inline std::string make_frame(std::uint8_t opcode, std::string_view payload, bool fin = true, bool masked = true,
                              std::uint8_t rsv = 0, std::array<std::uint8_t, 4> key = {0x37, 0xfa, 0x21, 0x3d}) {
    std::string out;
    out += static_cast<char>((fin ? 0x80 : 0) | (rsv & 0x70) | (opcode & 0x0F));
    const std::uint8_t mask_bit = masked ? 0x80 : 0;
    const std::uint64_t n = payload.size();
    if (n < 126) {
        out += static_cast<char>(mask_bit | n);
    } else if (n <= 0xFFFF) {
        out += static_cast<char>(mask_bit | 126);
        out += static_cast<char>(n >> 8);
        out += static_cast<char>(n & 0xFF);
    } else {
        out += static_cast<char>(mask_bit | 127);
        for (int i = 7; i >= 0; --i)
            out += static_cast<char>((n >> (8 * i)) & 0xFF);
    }
    if (masked) {
        for (auto b : key)
            out += static_cast<char>(b);
        for (std::size_t i = 0; i < payload.size(); ++i)
            out += static_cast<char>(payload[i] ^ key[i % 4]);
    } else {
        out += payload;
    }
    return out;
}

/// A client frame (masked), as a server receives it.
inline std::string client_frame(std::uint8_t opcode, std::string_view payload, bool fin = true, std::uint8_t rsv = 0) {
    return make_frame(opcode, payload, fin, true, rsv);
}

/// A server frame (unmasked), as a client receives it.
inline std::string server_frame(std::uint8_t opcode, std::string_view payload, bool fin = true, std::uint8_t rsv = 0) {
    return make_frame(opcode, payload, fin, false, rsv);
}

/// A close payload: 2-byte code + reason.
inline std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
    std::string p;
    p += static_cast<char>(code >> 8);
    p += static_cast<char>(code & 0xFF);
    p += reason;
    return p;
}

inline std::string bytes(std::initializer_list<int> values) {
    std::string s;
    for (int v : values)
        s += static_cast<char>(v);
    return s;
}

} // namespace duplex_test
