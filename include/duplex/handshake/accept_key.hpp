/// @file
/// Sec-WebSocket-Key generation and Sec-WebSocket-Accept (RFC 6455 4.1, 4.2.2).
#pragma once

#include <duplex/detail/random.hpp>
#include <duplex/handshake/detail/base64.hpp>
#include <duplex/handshake/detail/sha1.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace duplex::handshake {

/// The GUID appended to the key before hashing (RFC 6455 1.3).
inline constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// base64(SHA-1(key + GUID)): the value of Sec-WebSocket-Accept for `key` (RFC 6455 4.2.2).
/// @param key the Sec-WebSocket-Key value, without surrounding whitespace.
inline std::string compute_accept_key(std::string_view key) {
    detail::sha1 hash;
    hash.update(key.data(), key.size());
    hash.update(websocket_guid.data(), websocket_guid.size());
    const auto digest = hash.finish();
    return detail::base64_encode(digest.data(), digest.size());
}

/// A fresh Sec-WebSocket-Key: 16 random bytes, base64-encoded (RFC 6455 4.1).
/// The nonce must be unpredictable, so it comes from the system's CSPRNG.
/// @par Thread safety
/// Safe to call from any thread.
inline std::string generate_client_key() {
    std::uint8_t nonce[16];
    duplex::detail::secure_random_bytes(nonce, sizeof nonce);
    return detail::base64_encode(nonce, sizeof nonce);
}

/// True if `key` is base64 that decodes to exactly 16 bytes (RFC 6455 4.2.1 item 5).
inline bool is_valid_client_key(std::string_view key) {
    if (key.size() != 24) return false;
    const auto decoded = detail::base64_decode(key);
    return decoded && decoded->size() == 16;
}

} // namespace duplex::handshake
