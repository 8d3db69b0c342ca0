// Slow, obvious re-implementations the fuzz targets compare the library with:
// UTF-8 validity, a strict parser for the frames a session writes, and MQTT-style
// topic matching. None of them uses the library code it checks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace duplex_fuzz::reference {

/// RFC 3629 section 4, decoded code point by code point.
inline bool is_valid_utf8(std::string_view text) {
    std::size_t i = 0;
    const auto at = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
    while (i < text.size()) {
        const std::uint8_t b = at(i);
        std::size_t length;
        std::uint32_t code;
        if (b < 0x80) {
            ++i;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            length = 2;
            code = b & 0x1Fu;
        } else if ((b & 0xF0) == 0xE0) {
            length = 3;
            code = b & 0x0Fu;
        } else if ((b & 0xF8) == 0xF0) {
            length = 4;
            code = b & 0x07u;
        } else {
            return false;
        }
        if (text.size() - i < length) return false;
        for (std::size_t k = 1; k < length; ++k) {
            if ((at(i + k) & 0xC0) != 0x80) return false;
            code = (code << 6) | (at(i + k) & 0x3Fu);
        }
        static constexpr std::uint32_t smallest[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (code < smallest[length]) return false;          // overlong
        if (code > 0x10FFFF) return false;                  // beyond Unicode
        if (code >= 0xD800 && code <= 0xDFFF) return false; // surrogate
        i += length;
    }
    return true;
}

/// A frame as found on the wire, payload unmasked.
struct wire_frame {
    bool fin = true;
    std::uint8_t rsv = 0;
    std::uint8_t opcode = 0;
    bool masked = false;
    std::string payload;
};

/// Parse every frame in `bytes`, which must hold whole frames only, each with a
/// defined opcode and the minimal length form (RFC 6455 5.2), control frames
/// unfragmented and at most 125 bytes (5.5). nullopt if anything is off.
inline std::optional<std::vector<wire_frame>> parse_frames(std::string_view bytes) {
    std::vector<wire_frame> frames;
    const auto at = [&](std::size_t k) { return static_cast<std::uint8_t>(bytes[k]); };
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        if (bytes.size() - pos < 2) return std::nullopt;
        wire_frame f;
        f.fin = (at(pos) & 0x80) != 0;
        f.rsv = static_cast<std::uint8_t>(at(pos) & 0x70);
        f.opcode = static_cast<std::uint8_t>(at(pos) & 0x0F);
        f.masked = (at(pos + 1) & 0x80) != 0;
        std::uint64_t length = at(pos + 1) & 0x7F;
        pos += 2;
        if (length == 126) {
            if (bytes.size() - pos < 2) return std::nullopt;
            length = (std::uint64_t{at(pos)} << 8) | at(pos + 1);
            if (length < 126) return std::nullopt;
            pos += 2;
        } else if (length == 127) {
            if (bytes.size() - pos < 8) return std::nullopt;
            length = 0;
            for (std::size_t k = 0; k < 8; ++k)
                length = (length << 8) | at(pos + k);
            if (length <= 0xFFFF || length >= (std::uint64_t{1} << 63)) return std::nullopt;
            pos += 8;
        }
        std::array<std::uint8_t, 4> key{};
        if (f.masked) {
            if (bytes.size() - pos < 4) return std::nullopt;
            for (std::size_t k = 0; k < 4; ++k)
                key[k] = at(pos + k);
            pos += 4;
        }
        if (bytes.size() - pos < length) return std::nullopt;
        f.payload.assign(bytes.data() + pos, static_cast<std::size_t>(length));
        if (f.masked)
            for (std::size_t k = 0; k < f.payload.size(); ++k)
                f.payload[k] = static_cast<char>(static_cast<std::uint8_t>(f.payload[k]) ^ key[k % 4]);
        pos += static_cast<std::size_t>(length);
        const bool known = f.opcode <= 0x2 || (f.opcode >= 0x8 && f.opcode <= 0xA);
        if (!known) return std::nullopt;
        if (f.opcode >= 0x8 && (!f.fin || f.payload.size() > 125)) return std::nullopt;
        frames.push_back(std::move(f));
    }
    return frames;
}

inline std::vector<std::string_view> split_levels(std::string_view s) {
    std::vector<std::string_view> levels;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i)
        if (i == s.size() || s[i] == '/') {
            levels.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    return levels;
}

/// MQTT 3.1.1 4.7: '+' is one whole level, '#' the whole last level.
inline bool is_valid_pattern(std::string_view pattern) {
    if (pattern.empty() || pattern.find('\0') != std::string_view::npos) return false;
    const auto levels = split_levels(pattern);
    for (std::size_t i = 0; i < levels.size(); ++i) {
        const auto level = levels[i];
        const bool wild = level.find('+') != std::string_view::npos || level.find('#') != std::string_view::npos;
        if (wild && level.size() != 1) return false;
        if (level == "#" && i + 1 != levels.size()) return false;
    }
    return true;
}

inline bool is_valid_topic(std::string_view topic) {
    return !topic.empty() && topic.find_first_of(std::string_view("+#\0", 3)) == std::string_view::npos;
}

/// Does the (valid) pattern match the (valid) topic? "a/#" also matches "a".
inline bool topic_matches(std::string_view pattern, std::string_view topic) {
    const auto p = split_levels(pattern);
    const auto t = split_levels(topic);
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] == "#") return true; // the rest, zero levels included
        if (i >= t.size()) return false;
        if (p[i] != "+" && p[i] != t[i]) return false;
    }
    return p.size() == t.size();
}

} // namespace duplex_fuzz::reference
