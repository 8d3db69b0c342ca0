/// @file
/// Close codes and close frame payloads (RFC 6455 5.5.1, 7.4).
#pragma once

#include <duplex/frame/frame_header.hpp>
#include <duplex/frame/utf8_validator.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace duplex {

/// The close codes RFC 6455 7.4.1 defines, plus those IANA registered since.
///
/// Plain `std::uint16_t` constants, not an enum: codes 3000-4999 belong to
/// libraries and applications and travel in the same type.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;              ///< the purpose of the connection was fulfilled
inline constexpr std::uint16_t going_away = 1001;          ///< the endpoint is going away (shutdown, page left)
inline constexpr std::uint16_t protocol_error = 1002;      ///< the peer broke the protocol
inline constexpr std::uint16_t unsupported_data = 1003;    ///< a kind of data the endpoint cannot accept
inline constexpr std::uint16_t no_status = 1005;           ///< never sent: the close had no code
inline constexpr std::uint16_t abnormal = 1006;            ///< never sent: the transport just ended
inline constexpr std::uint16_t invalid_payload = 1007;     ///< data not of its kind, such as text that is not UTF-8
inline constexpr std::uint16_t policy_violation = 1008;    ///< a message broke the endpoint's policy
inline constexpr std::uint16_t message_too_big = 1009;     ///< a message or frame over the endpoint's limit
inline constexpr std::uint16_t mandatory_extension = 1010; ///< client: the server did not agree to a required extension
inline constexpr std::uint16_t internal_error = 1011;      ///< the server hit an unexpected condition
inline constexpr std::uint16_t service_restart = 1012;     ///< the server is restarting (IANA registry)
inline constexpr std::uint16_t try_again_later = 1013;     ///< the server is overloaded (IANA registry)
inline constexpr std::uint16_t bad_gateway = 1014;         ///< a gateway got a bad upstream response (IANA registry)
inline constexpr std::uint16_t tls_handshake = 1015;       ///< never sent: the TLS handshake failed
} // namespace close_code

namespace frame {

/// The longest close reason in bytes (RFC 6455 5.5: 125 bytes of control
/// payload less the 2-byte code).
inline constexpr std::size_t max_close_reason = 123;

/// True if `code` may appear in a close frame on the wire: 1000-1003,
/// 1007-1014 and the registered/private ranges 3000-4999 (RFC 6455 7.4).
/// 1005, 1006 and 1015 only report a close locally; the rest is unassigned.
constexpr bool is_valid_close_code(std::uint16_t code) noexcept {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/// A parsed close frame payload (RFC 6455 5.5.1): an optional code, then UTF-8 reason text.
struct close_payload {
    bool valid = true;                          ///< false: answer with close 1002/1007
    std::uint16_t code = close_code::no_status; ///< 1005 when the payload was empty
    std::string_view reason;                    ///< view into the parsed payload
    std::uint16_t error_code = 0;               ///< the close code to fail with when !valid
};

/// Parse the (unmasked) payload of a received close frame.
///
/// An empty payload is valid and reads as code 1005. The result is invalid,
/// with `error_code` 1002, for a 1-byte payload, one over 125 bytes or a code
/// that may not be sent (is_valid_close_code()); with 1007 for a reason that
/// is not UTF-8.
/// @return the code and reason; `reason` points into `data`.
inline close_payload parse_close_payload(const std::uint8_t* data, std::size_t size) noexcept {
    close_payload result;
    if (size == 0) return result;
    if (size == 1 || size > max_control_payload) {
        result.valid = false;
        result.error_code = close_code::protocol_error;
        return result;
    }
    result.code = static_cast<std::uint16_t>((data[0] << 8) | data[1]);
    if (!is_valid_close_code(result.code)) {
        result.valid = false;
        result.error_code = close_code::protocol_error;
        return result;
    }
    result.reason = std::string_view(reinterpret_cast<const char*>(data + 2), size - 2);
    if (!is_valid_utf8(result.reason)) {
        result.valid = false;
        result.error_code = close_code::invalid_payload;
    }
    return result;
}

/// Write a close payload (code + reason) into `out`.
///
/// A code of 0 or 1005 writes an empty payload; a reason over 123 bytes is cut
/// at the last UTF-8 character boundary that fits. Neither the code nor the
/// reason is validated: protocol::session::send_close() checks them first.
/// @param out at least max_control_payload (125) bytes.
/// @return the payload size, 0 to 125.
inline std::size_t encode_close_payload(std::uint16_t code, std::string_view reason, std::uint8_t* out) noexcept {
    if (code == 0 || code == close_code::no_status) return 0;
    out[0] = static_cast<std::uint8_t>(code >> 8);
    out[1] = static_cast<std::uint8_t>(code);
    std::size_t n = reason.size() < max_close_reason ? reason.size() : max_close_reason;
    // Cut before a UTF-8 continuation byte, never inside a character, so the peer sees valid UTF-8.
    if (n < reason.size())
        while (n > 0 && (static_cast<std::uint8_t>(reason[n]) & 0xC0) == 0x80)
            --n;
    for (std::size_t i = 0; i < n; ++i)
        out[2 + i] = static_cast<std::uint8_t>(reason[i]);
    return 2 + n;
}

} // namespace frame
} // namespace duplex
