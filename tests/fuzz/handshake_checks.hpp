// Checks shared by the handshake fuzz targets: feeding an HTTP parser whole and
// in chunks must give the same result, and a parsed message must hold only
// what RFC 7230 allows.
#pragma once

#include <duplex/handshake/http_parser.hpp>

#include "fuzz_target.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace duplex_fuzz {

/// Limits picked by two bits of a flags byte: the defaults, or small ones the fuzzer can reach.
inline duplex::handshake::http_limits pick_limits(unsigned selector) {
    duplex::handshake::http_limits limits;
    switch (selector & 3) {
    case 1:
        limits.max_header_bytes = 512;
        limits.max_headers = 6;
        limits.max_start_line = 100;
        break;
    case 2:
        limits.max_header_bytes = 64;
        limits.max_headers = 1;
        limits.max_start_line = 30;
        break;
    default: break;
    }
    return limits;
}

/// Chunk sizes that cycle through a pattern picked by `selector` (0: one chunk).
inline std::size_t chunk_size(unsigned selector, std::size_t index) {
    static constexpr std::size_t patterns[8][4] = {{0, 0, 0, 0}, {1, 1, 1, 1},   {2, 3, 5, 7},    {13, 1, 64, 2},
                                                   {4, 4, 4, 4}, {100, 1, 1, 9}, {7, 255, 3, 31}, {16, 16, 1, 16}};
    return patterns[selector & 7][index % 4];
}

struct parse_outcome {
    duplex::handshake::parse_result::status_type status = duplex::handshake::parse_result::need_more;
    std::size_t consumed = 0;
    int http_status = 0;
};

/// Feed `input` to `parser` in chunks; stop at done or error. Checks what each
/// feed() may report.
template <class Parser>
parse_outcome feed_in_chunks(Parser& parser, std::string_view input, unsigned selector) {
    using duplex::handshake::parse_result;
    parse_outcome out;
    std::size_t pos = 0, index = 0;
    for (;;) {
        std::size_t n = chunk_size(selector, index++);
        if (n == 0 || n > input.size() - pos) n = input.size() - pos;
        const auto r = parser.feed(input.data() + pos, n);
        DUPLEX_FUZZ_CHECK(r.consumed <= n);
        out.consumed += r.consumed;
        out.status = r.status;
        if (r.status == parse_result::error) {
            DUPLEX_FUZZ_CHECK(r.http_status == 400 || r.http_status == 414 || r.http_status == 431);
            DUPLEX_FUZZ_CHECK(!r.reason.empty());
            out.http_status = r.http_status;
            // A failed parser stays failed.
            const auto again = parser.feed("x", 1);
            DUPLEX_FUZZ_CHECK(again.status == parse_result::error && again.http_status == r.http_status);
            return out;
        }
        if (r.status == parse_result::done) {
            DUPLEX_FUZZ_CHECK(parser.done());
            const auto again = parser.feed("x", 1);
            DUPLEX_FUZZ_CHECK(again.status == parse_result::done && again.consumed == 0);
            return out;
        }
        DUPLEX_FUZZ_CHECK(r.consumed == n); // need_more takes everything
        pos += n;
        if (pos == input.size()) return out;
    }
}

/// The same input whole and in chunks: the same verdict, and a message ending at the same byte.
template <class Parser>
parse_outcome parse_both_ways(Parser& whole, Parser& chunked, std::string_view input, unsigned selector) {
    const auto a = feed_in_chunks(whole, input, 0);
    const auto b = feed_in_chunks(chunked, input, selector);
    DUPLEX_FUZZ_CHECK(a.status == b.status && a.http_status == b.http_status);
    // After an error, what was consumed no longer matters.
    if (a.status != duplex::handshake::parse_result::error) DUPLEX_FUZZ_CHECK(a.consumed == b.consumed);
    if (a.status == duplex::handshake::parse_result::done) {
        DUPLEX_FUZZ_CHECK(whole.get().raw() == chunked.get().raw());
        DUPLEX_FUZZ_CHECK(whole.get().header_count() == chunked.get().header_count());
    }
    return a;
}

inline bool is_field_value(std::string_view value) {
    if (!value.empty() && (duplex::handshake::is_ows(value.front()) || duplex::handshake::is_ows(value.back())))
        return false;
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7F) return false;
    }
    return true;
}

/// A parsed header block: within the limits, the raw bytes consumed, every
/// name a token, every value trimmed and free of control characters, every
/// view inside the raw block.
inline void check_fields(const duplex::handshake::http_fields& m, std::string_view input, std::size_t consumed,
                         const duplex::handshake::http_limits& limits) {
    const std::string_view raw = m.raw();
    DUPLEX_FUZZ_CHECK(raw == input.substr(0, consumed));
    DUPLEX_FUZZ_CHECK(raw.size() <= limits.max_header_bytes);
    DUPLEX_FUZZ_CHECK(raw.size() >= 4 && raw.substr(raw.size() - 4) == "\r\n\r\n");
    DUPLEX_FUZZ_CHECK(raw.find("\r\n") <= limits.max_start_line);
    DUPLEX_FUZZ_CHECK(m.header_count() <= limits.max_headers);
    const auto inside = [&](std::string_view v) {
        return v.data() >= raw.data() && v.data() + v.size() <= raw.data() + raw.size();
    };
    for (std::size_t i = 0; i < m.header_count(); ++i) {
        const auto h = m.header_at(i);
        DUPLEX_FUZZ_CHECK(duplex::handshake::is_token(h.name));
        DUPLEX_FUZZ_CHECK(is_field_value(h.value));
        DUPLEX_FUZZ_CHECK(inside(h.name));
        DUPLEX_FUZZ_CHECK(h.value.empty() || inside(h.value));
        // Lookup by name finds this field or an earlier one of the same name.
        const auto found = m.header(h.name);
        DUPLEX_FUZZ_CHECK(found.has_value());
        DUPLEX_FUZZ_CHECK(m.header_count(h.name) >= 1);
    }
}

} // namespace duplex_fuzz
