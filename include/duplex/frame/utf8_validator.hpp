/// @file
/// Incremental UTF-8 validation (RFC 3629) for text messages and close reasons.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace duplex::frame {

namespace detail {

// A shift-based DFA over the UTF-8 grammar of RFC 3629 section 4. Each state is
// a bit offset (a multiple of 6); row[byte] packs the next state for every
// state, so one step is `state = row[byte] >> state`: one load that does not
// depend on the state and one shift that does.
enum utf8_state : std::uint32_t {
    utf8_accept = 0,
    utf8_reject = 6,
    utf8_tail1 = 12, // one continuation byte (80-BF) left
    utf8_tail2 = 18,
    utf8_tail3 = 24,
    utf8_e0 = 30, // after E0: A0-BF (no overlong 3-byte forms)
    utf8_ed = 36, // after ED: 80-9F (no surrogates)
    utf8_f0 = 42, // after F0: 90-BF (no overlong 4-byte forms)
    utf8_f4 = 48, // after F4: 80-8F (nothing above U+10FFFF)
};

constexpr std::uint32_t utf8_next(std::uint32_t state, std::uint8_t byte) noexcept {
    const bool tail = byte >= 0x80 && byte <= 0xBF;
    switch (state) {
    case utf8_accept:
        if (byte <= 0x7F) return utf8_accept;
        if (byte >= 0xC2 && byte <= 0xDF) return utf8_tail1;
        if (byte == 0xE0) return utf8_e0;
        if (byte == 0xED) return utf8_ed;
        if (byte >= 0xE1 && byte <= 0xEF) return utf8_tail2;
        if (byte == 0xF0) return utf8_f0;
        if (byte >= 0xF1 && byte <= 0xF3) return utf8_tail3;
        if (byte == 0xF4) return utf8_f4;
        return utf8_reject; // 80-C1, F5-FF
    case utf8_tail1: return tail ? utf8_accept : utf8_reject;
    case utf8_tail2: return tail ? utf8_tail1 : utf8_reject;
    case utf8_tail3: return tail ? utf8_tail2 : utf8_reject;
    case utf8_e0: return (byte >= 0xA0 && byte <= 0xBF) ? utf8_tail1 : utf8_reject;
    case utf8_ed: return (byte >= 0x80 && byte <= 0x9F) ? utf8_tail1 : utf8_reject;
    case utf8_f0: return (byte >= 0x90 && byte <= 0xBF) ? utf8_tail2 : utf8_reject;
    case utf8_f4: return (byte >= 0x80 && byte <= 0x8F) ? utf8_tail2 : utf8_reject;
    default: return utf8_reject;
    }
}

constexpr std::array<std::uint64_t, 256> make_utf8_rows() noexcept {
    std::array<std::uint64_t, 256> rows{};
    for (std::uint32_t byte = 0; byte < 256; ++byte) {
        std::uint64_t row = 0;
        for (std::uint32_t state = 0; state <= utf8_f4; state += 6)
            row |= std::uint64_t{utf8_next(state, static_cast<std::uint8_t>(byte))} << state;
        rows[byte] = row;
    }
    return rows;
}

inline constexpr std::array<std::uint64_t, 256> utf8_rows = make_utf8_rows();

} // namespace detail

/// Streaming UTF-8 validator. Feed a text message in any number of pieces;
/// `feed` returns false at the first byte that cannot start or continue a valid
/// sequence (overlongs, surrogates and code points above U+10FFFF included), so
/// a bad message is rejected before its last fragment arrives (fail fast,
/// RFC 6455 8.1). The pieces may split a character anywhere.
class utf8_validator {
public:
    /// Validate the next piece. Returns false once the input is invalid, and
    /// for every later piece until reset(). True does not mean complete().
    bool feed(const std::uint8_t* data, std::size_t size) noexcept {
        if (state_ == detail::utf8_reject) return false; // stays failed, even for an empty piece
        std::uint64_t state = state_;
        std::size_t i = 0;
        while (i < size) {
            if (state == detail::utf8_accept) {
                // ASCII fast path: skip 64, then 16 bytes at a time while no high bit is set.
#if defined(__SSE2__)
                while (i + 64 <= size) {
                    const auto* p = reinterpret_cast<const __m128i*>(data + i);
                    const __m128i any = _mm_or_si128(_mm_or_si128(_mm_loadu_si128(p), _mm_loadu_si128(p + 1)),
                                                     _mm_or_si128(_mm_loadu_si128(p + 2), _mm_loadu_si128(p + 3)));
                    if (_mm_movemask_epi8(any) != 0) break;
                    i += 64;
                }
#endif
                while (i + 16 <= size) {
                    std::uint64_t a, b;
                    std::memcpy(&a, data + i, 8);
                    std::memcpy(&b, data + i + 8, 8);
                    if (((a | b) & 0x8080808080808080ULL) != 0) break;
                    i += 16;
                }
                if (i == size) break;
            }
            // Step the DFA until the next chunk boundary or the end.
            const std::size_t end = (size - i > 16) ? i + 16 : size;
            for (; i < end; ++i)
                state = detail::utf8_rows[data[i]] >> (state & 63);
            state &= 63;
            if (state == detail::utf8_reject) {
                state_ = detail::utf8_reject;
                return false;
            }
        }
        state_ = static_cast<std::uint32_t>(state & 63);
        return true;
    }

    /// Validate the next piece of text; see the overload above.
    bool feed(std::string_view text) noexcept {
        return feed(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    }

    /// True when everything fed so far is complete, valid UTF-8 (no sequence cut off).
    bool complete() const noexcept {
        return state_ == detail::utf8_accept;
    }
    /// True once invalid input was seen.
    bool failed() const noexcept {
        return state_ == detail::utf8_reject;
    }
    /// Start over for a new message.
    void reset() noexcept {
        state_ = detail::utf8_accept;
    }

private:
    std::uint32_t state_ = detail::utf8_accept;
};

/// True if `text` is complete, valid UTF-8 (a whole string at once).
inline bool is_valid_utf8(std::string_view text) noexcept {
    utf8_validator validator;
    return validator.feed(text) && validator.complete();
}

} // namespace duplex::frame
