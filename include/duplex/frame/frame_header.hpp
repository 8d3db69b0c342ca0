/// @file
/// Frame header encoding and decoding (RFC 6455 5.2). No I/O, no allocation.
#pragma once

#include <duplex/frame/opcode.hpp>
#include <duplex/frame/role.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace duplex::frame {

// RSV bit masks as they appear in the first header byte (RFC 6455 5.2).
inline constexpr std::uint8_t rsv1_bit = 0x40; ///< RSV1, claimed by permessage-deflate (RFC 7692 6)
inline constexpr std::uint8_t rsv2_bit = 0x20; ///< RSV2
inline constexpr std::uint8_t rsv3_bit = 0x10; ///< RSV3

/// The longest possible header: 2 bytes, 8 bytes of extended length, 4 of mask key.
inline constexpr std::size_t max_header_size = 14;
/// The largest control frame payload (RFC 6455 5.5).
inline constexpr std::size_t max_control_payload = 125;

/// A decoded or to-be-encoded frame header (RFC 6455 5.2).
struct frame_header {
    bool fin = true;                            ///< the last frame of its message
    std::uint8_t rsv = 0;                       ///< RSV1-3 as bits of rsv1_bit | rsv2_bit | rsv3_bit
    frame::opcode opcode = frame::opcode::text; ///< the frame's opcode
    bool masked = false;                        ///< a mask key follows the length (client frames only)
    std::uint64_t payload_length = 0;           ///< payload bytes after the header
    std::array<std::uint8_t, 4> mask_key{};     ///< meaningful only when `masked`
};

/// Why a header was rejected. The session closes with 1002 for every value
/// except length_msb_set, which it treats as a length beyond any limit (1009).
enum class header_error : std::uint8_t {
    none,               ///< the header is valid
    reserved_opcode,    ///< opcodes 3-7, 0xB-0xF
    reserved_bits,      ///< RSV bit set that no negotiated extension claims
    unmasked_frame,     ///< client-to-server frame without a mask
    masked_frame,       ///< server-to-client frame with a mask
    fragmented_control, ///< control frame without FIN (RFC 6455 5.5)
    control_too_large,  ///< control frame payload over 125 bytes
    length_msb_set,     ///< 64-bit length with the most significant bit set
    non_minimal_length, ///< length not encoded in the minimal number of bytes
};

/// Outcome of decode_header().
struct decode_result {
    /// The values of `status`.
    enum status_type : std::uint8_t {
        complete,                            ///< the header is decoded into the output
        need_more,                           ///< feed more bytes and decode again from the same start
        invalid                              ///< the header breaks RFC 6455 5.2; see `error`
    } status = need_more;                    ///< how far decoding got
    std::size_t header_size = 0;             ///< bytes the header occupies when complete
    header_error error = header_error::none; ///< why the header is invalid
};

/// Number of header bytes a frame with this payload length needs: 2 to 14.
constexpr std::size_t header_size(std::uint64_t payload_length, bool masked) noexcept {
    std::size_t size = payload_length < 126 ? 2 : (payload_length <= 0xFFFF ? 4 : 10);
    return masked ? size + 4 : size;
}

/// Decode one header from `data`, applying the rules of RFC 6455 5.2 for Role.
///
/// Needs at most max_header_size bytes; returns need_more while fewer are
/// present. Checks the masking rule of Role (5.1), reserved opcodes and RSV
/// bits, control frame limits (5.5) and the minimal length encoding; RSV bits
/// on control and continuation frames are left to the caller.
/// @tparam Role server_role or client_role: the side that receives the frame.
/// @param out written only when the result is complete.
/// @param allowed_rsv the RSV bits claimed by negotiated extensions (0 if none).
template <class Role>
decode_result decode_header(const std::uint8_t* data, std::size_t size, frame_header& out,
                            std::uint8_t allowed_rsv = 0) noexcept {
    decode_result result;
    if (size < 2) return result;
    const std::uint8_t b0 = data[0];
    const std::uint8_t b1 = data[1];
    const auto fail = [&result](header_error e) {
        result.status = decode_result::invalid;
        result.error = e;
        return result;
    };
    const std::uint8_t op = b0 & 0x0F;
    if (!is_known_opcode(op)) return fail(header_error::reserved_opcode);
    if ((b0 & 0x70 & ~allowed_rsv) != 0) return fail(header_error::reserved_bits);
    const bool masked = (b1 & 0x80) != 0;
    if constexpr (Role::expects_masked_input) {
        if (!masked) return fail(header_error::unmasked_frame);
    } else {
        if (masked) return fail(header_error::masked_frame);
    }
    const bool fin = (b0 & 0x80) != 0;
    const std::uint8_t len7 = b1 & 0x7F;
    const bool control = (op & 0x8) != 0;
    if (control) {
        if (!fin) return fail(header_error::fragmented_control);
        if (len7 > max_control_payload) return fail(header_error::control_too_large);
    }
    std::size_t pos = 2;
    std::uint64_t length = len7;
    if (len7 == 126) {
        if (size < 4) return result;
        length = (std::uint64_t{data[2]} << 8) | data[3];
        if (length < 126) return fail(header_error::non_minimal_length);
        pos = 4;
    } else if (len7 == 127) {
        if (size < 10) return result;
        if ((data[2] & 0x80) != 0) return fail(header_error::length_msb_set);
        length = 0;
        for (std::size_t i = 2; i < 10; ++i)
            length = (length << 8) | data[i];
        if (length <= 0xFFFF) return fail(header_error::non_minimal_length);
        pos = 10;
    }
    if (masked) {
        if (size < pos + 4) return result;
        std::memcpy(out.mask_key.data(), data + pos, 4);
        pos += 4;
    }
    out.fin = fin;
    out.rsv = b0 & 0x70;
    out.opcode = static_cast<frame::opcode>(op);
    out.masked = masked;
    out.payload_length = length;
    result.status = decode_result::complete;
    result.header_size = pos;
    return result;
}

/// Encode `header` into `out`, which must hold max_header_size bytes.
/// Uses the minimal length encoding; the payload is not masked here (apply_mask()).
/// @return the number of bytes written.
inline std::size_t encode_header(const frame_header& header, std::uint8_t* out) noexcept {
    out[0] = static_cast<std::uint8_t>((header.fin ? 0x80 : 0x00) | (header.rsv & 0x70) |
                                       static_cast<std::uint8_t>(header.opcode));
    const std::uint8_t mask_bit = header.masked ? 0x80 : 0x00;
    std::size_t pos;
    const std::uint64_t length = header.payload_length;
    if (length < 126) {
        out[1] = static_cast<std::uint8_t>(mask_bit | length);
        pos = 2;
    } else if (length <= 0xFFFF) {
        out[1] = static_cast<std::uint8_t>(mask_bit | 126);
        out[2] = static_cast<std::uint8_t>(length >> 8);
        out[3] = static_cast<std::uint8_t>(length);
        pos = 4;
    } else {
        out[1] = static_cast<std::uint8_t>(mask_bit | 127);
        for (std::size_t i = 0; i < 8; ++i)
            out[2 + i] = static_cast<std::uint8_t>(length >> (56 - 8 * i));
        pos = 10;
    }
    if (header.masked) {
        std::memcpy(out + pos, header.mask_key.data(), 4);
        pos += 4;
    }
    return pos;
}

/// Append one whole unmasked frame (a server's, RFC 6455 5.1) to `out`: the
/// header for `payload` with opcode `op` and `rsv` (0x70 mask), then the payload.
inline void append_unmasked_frame(opcode op, std::uint8_t rsv, std::string_view payload, std::string& out) {
    frame_header h;
    h.opcode = op;
    h.rsv = rsv;
    h.payload_length = payload.size();
    std::uint8_t header[max_header_size];
    const std::size_t n = encode_header(h, header);
    out.reserve(out.size() + n + payload.size());
    out.append(reinterpret_cast<const char*>(header), n);
    out.append(payload);
}

} // namespace duplex::frame
