/// @file
/// Fresh masking keys from a secure random source (RFC 6455 5.3, 10.3).
#pragma once

#include <duplex/detail/random.hpp>

#include <array>
#include <cstdint>

namespace duplex::frame {

/// Fill `out` with cryptographically secure random bytes (kept here for
/// existing callers; the source is duplex/detail/random.hpp).
using duplex::detail::secure_random_bytes;

/// A fresh, unpredictable masking key for one client frame.
///
/// RFC 6455 10.3: a key a script could predict would let it choose the bytes
/// on the wire and poison intermediaries. The bytes come from the system's
/// CSPRNG through a per-thread pool, so no lock is taken.
/// @par Thread safety
/// Safe to call from any thread.
inline std::array<std::uint8_t, 4> make_mask_key() {
    std::array<std::uint8_t, 4> key;
    secure_random_bytes(key.data(), key.size());
    return key;
}

} // namespace duplex::frame
