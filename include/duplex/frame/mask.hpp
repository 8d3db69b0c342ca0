/// @file
/// Payload masking (RFC 6455 5.3), word at a time, at any alignment and key phase.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace duplex::frame {

/// XOR `size` bytes at `data` with `key`, in place (RFC 6455 5.3).
///
/// Masking is its own inverse, so the same call unmasks a received payload.
/// @param phase the byte of `key` the first byte uses: the payload offset modulo 4.
/// @return the phase for the byte after the last, so a payload split into
/// several buffers is masked by successive calls.
inline std::size_t apply_mask(std::uint8_t* data, std::size_t size, const std::array<std::uint8_t, 4>& key,
                              std::size_t phase = 0) noexcept {
    phase &= 3;
    // Rotate the key to the phase once, then work on 8-byte words: the word
    // key repeats every 4 bytes, so it stays in phase for every full word.
    std::uint8_t rotated[8];
    for (std::size_t i = 0; i < 8; ++i)
        rotated[i] = key[(phase + i) & 3];
    std::uint64_t word_key;
    std::memcpy(&word_key, rotated, 8);
    std::size_t i = 0;
#if defined(__SSE2__)
    // 64 bytes per step in four 16-byte registers; the key repeats every 4 bytes,
    // so one rotated 16-byte key serves every block.
    const __m128i key128 = _mm_set1_epi64x(static_cast<long long>(word_key));
    for (; i + 64 <= size; i += 64) {
        auto* p = reinterpret_cast<__m128i*>(data + i);
        const __m128i a = _mm_xor_si128(_mm_loadu_si128(p), key128);
        const __m128i b = _mm_xor_si128(_mm_loadu_si128(p + 1), key128);
        const __m128i c = _mm_xor_si128(_mm_loadu_si128(p + 2), key128);
        const __m128i d = _mm_xor_si128(_mm_loadu_si128(p + 3), key128);
        _mm_storeu_si128(p, a);
        _mm_storeu_si128(p + 1, b);
        _mm_storeu_si128(p + 2, c);
        _mm_storeu_si128(p + 3, d);
    }
#endif
    for (; i + 32 <= size; i += 32) {
        std::uint64_t w[4];
        std::memcpy(w, data + i, 32);
        w[0] ^= word_key;
        w[1] ^= word_key;
        w[2] ^= word_key;
        w[3] ^= word_key;
        std::memcpy(data + i, w, 32);
    }
    for (; i + 8 <= size; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, data + i, 8);
        w ^= word_key;
        std::memcpy(data + i, &w, 8);
    }
    for (; i < size; ++i)
        data[i] ^= rotated[i & 7];
    return (phase + size) & 3;
}

} // namespace duplex::frame
