// The frame codec (duplex/frame/): header decoding for both roles, the
// encode/decode round trip, masking, UTF-8 validation and close payloads.
//
// Input: one flags byte, then the bytes under test.
//   flags bit 0: 0 server role (masked input), 1 client role
//   flags bits 1-3: the RSV bits a negotiated extension claims (<< 4)
//   flags bits 4-5: the mask phase; bits 6-7 pick split points for the streaming checks
#include <duplex/frame.hpp>

#include "fuzz_target.hpp"
#include "reference.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace {

using duplex::frame::decode_result;
using duplex::frame::frame_header;

bool same_header(const frame_header& a, const frame_header& b) {
    return a.fin == b.fin && a.rsv == b.rsv && a.opcode == b.opcode && a.masked == b.masked &&
           a.payload_length == b.payload_length && (!a.masked || a.mask_key == b.mask_key);
}

// Decoding `bytes` gives a complete header iff it is well-formed; every field
// obeys RFC 6455 5.2 for Role, the header re-encodes to the very same bytes, and
// a longer input never changes a verdict a shorter one reached.
template <class Role>
void check_decode(const std::uint8_t* bytes, std::size_t size, std::uint8_t allowed_rsv) {
    frame_header h;
    const auto r = duplex::frame::decode_header<Role>(bytes, size, h, allowed_rsv);
    switch (r.status) {
    case decode_result::need_more:
        DUPLEX_FUZZ_CHECK(size < duplex::frame::max_header_size);
        DUPLEX_FUZZ_CHECK(r.error == duplex::frame::header_error::none);
        break;
    case decode_result::invalid: DUPLEX_FUZZ_CHECK(r.error != duplex::frame::header_error::none); break;
    case decode_result::complete: {
        DUPLEX_FUZZ_CHECK(r.error == duplex::frame::header_error::none);
        DUPLEX_FUZZ_CHECK(r.header_size >= 2 && r.header_size <= size);
        DUPLEX_FUZZ_CHECK(r.header_size <= duplex::frame::max_header_size);
        DUPLEX_FUZZ_CHECK(r.header_size == duplex::frame::header_size(h.payload_length, h.masked));
        DUPLEX_FUZZ_CHECK(h.masked == Role::expects_masked_input);
        DUPLEX_FUZZ_CHECK(h.payload_length < (std::uint64_t{1} << 63));
        DUPLEX_FUZZ_CHECK((h.rsv & ~allowed_rsv) == 0);
        DUPLEX_FUZZ_CHECK(duplex::frame::is_known_opcode(static_cast<std::uint8_t>(h.opcode)));
        if (duplex::frame::is_control(h.opcode)) {
            DUPLEX_FUZZ_CHECK(h.fin);
            DUPLEX_FUZZ_CHECK(h.payload_length <= duplex::frame::max_control_payload);
        }
        std::uint8_t encoded[duplex::frame::max_header_size];
        const std::size_t n = duplex::frame::encode_header(h, encoded);
        DUPLEX_FUZZ_CHECK(n == r.header_size);
        DUPLEX_FUZZ_CHECK(std::memcmp(encoded, bytes, n) == 0);
        break;
    }
    }
    // Monotonic: each prefix says need_more or already reaches this verdict.
    const std::size_t limit = size < duplex::frame::max_header_size ? size : duplex::frame::max_header_size;
    bool decided = false;
    for (std::size_t k = 0; k <= limit; ++k) {
        frame_header p;
        const auto pr = duplex::frame::decode_header<Role>(bytes, k, p, allowed_rsv);
        if (pr.status == decode_result::need_more) {
            DUPLEX_FUZZ_CHECK(!decided);
            continue;
        }
        decided = true;
        DUPLEX_FUZZ_CHECK(pr.status == r.status && pr.error == r.error);
        if (pr.status == decode_result::complete) {
            DUPLEX_FUZZ_CHECK(pr.header_size == r.header_size);
            DUPLEX_FUZZ_CHECK(same_header(p, h));
        }
    }
}

// A header built from fuzz bytes encodes minimally and decodes back to itself
// whenever RFC 6455 allows it.
void check_encode(duplex::frame::frame_header h) {
    std::uint8_t encoded[duplex::frame::max_header_size];
    const std::size_t n = duplex::frame::encode_header(h, encoded);
    DUPLEX_FUZZ_CHECK(n == duplex::frame::header_size(h.payload_length, h.masked));
    const auto op = static_cast<std::uint8_t>(h.opcode);
    const bool control = (op & 0x8) != 0;
    const bool valid = duplex::frame::is_known_opcode(op) &&
                       (!control || (h.fin && h.payload_length <= duplex::frame::max_control_payload));
    frame_header back;
    const auto r = h.masked ? duplex::frame::decode_header<duplex::server_role>(encoded, n, back, 0x70)
                            : duplex::frame::decode_header<duplex::client_role>(encoded, n, back, 0x70);
    DUPLEX_FUZZ_CHECK((r.status == decode_result::complete) == valid);
    if (valid) {
        DUPLEX_FUZZ_CHECK(r.header_size == n);
        DUPLEX_FUZZ_CHECK(same_header(back, h));
    }
}

void check_mask(std::string_view bytes, const std::array<std::uint8_t, 4>& key, std::size_t phase, std::size_t split) {
    std::string whole(bytes), pieces(bytes), expected(bytes);
    for (std::size_t i = 0; i < expected.size(); ++i)
        expected[i] = static_cast<char>(static_cast<std::uint8_t>(expected[i]) ^ key[(phase + i) % 4]);
    auto* w = reinterpret_cast<std::uint8_t*>(whole.data());
    auto* p = reinterpret_cast<std::uint8_t*>(pieces.data());
    const std::size_t end_phase = duplex::frame::apply_mask(w, whole.size(), key, phase);
    DUPLEX_FUZZ_CHECK(end_phase == (phase + whole.size()) % 4);
    DUPLEX_FUZZ_CHECK(whole == expected);
    if (split > pieces.size()) split = pieces.size();
    const std::size_t mid = duplex::frame::apply_mask(p, split, key, phase);
    duplex::frame::apply_mask(p + split, pieces.size() - split, key, mid);
    DUPLEX_FUZZ_CHECK(pieces == expected);
}

void check_utf8(std::string_view text, std::size_t split1, std::size_t split2) {
    const bool valid = duplex_fuzz::reference::is_valid_utf8(text);
    DUPLEX_FUZZ_CHECK(duplex::frame::is_valid_utf8(text) == valid);
    // In three pieces: the same verdict, and a failure is final.
    if (split1 > text.size()) split1 = text.size();
    if (split2 > text.size() - split1) split2 = text.size() - split1;
    duplex::frame::utf8_validator v;
    bool ok = v.feed(text.substr(0, split1));
    ok = v.feed(text.substr(split1, split2)) && ok;
    ok = v.feed(text.substr(split1 + split2)) && ok;
    DUPLEX_FUZZ_CHECK((ok && v.complete()) == valid);
    DUPLEX_FUZZ_CHECK(ok == !v.failed());
    if (v.failed()) DUPLEX_FUZZ_CHECK(!v.feed(std::string_view()));
    // Fail fast: a rejected input has a prefix no continuation can repair.
    if (!ok) DUPLEX_FUZZ_CHECK(!duplex_fuzz::reference::is_valid_utf8(std::string(text) + "\xF4\x80\x80\x80"));
}

void check_close_payload(std::string_view bytes) {
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    const auto c = duplex::frame::parse_close_payload(data, bytes.size());
    if (!c.valid) {
        DUPLEX_FUZZ_CHECK(c.error_code == duplex::close_code::protocol_error ||
                          c.error_code == duplex::close_code::invalid_payload);
        return;
    }
    if (bytes.empty()) {
        DUPLEX_FUZZ_CHECK(c.code == duplex::close_code::no_status && c.reason.empty());
        return;
    }
    DUPLEX_FUZZ_CHECK(bytes.size() >= 2 && bytes.size() <= duplex::frame::max_control_payload);
    DUPLEX_FUZZ_CHECK(duplex::frame::is_valid_close_code(c.code));
    DUPLEX_FUZZ_CHECK(duplex_fuzz::reference::is_valid_utf8(c.reason));
    std::uint8_t out[duplex::frame::max_control_payload];
    const auto n = duplex::frame::encode_close_payload(c.code, c.reason, out);
    DUPLEX_FUZZ_CHECK(n == bytes.size() && std::memcmp(out, data, n) == 0);
}

// Any reason is cut to at most 123 bytes at a character boundary.
void check_close_reason_cut(std::uint16_t code, std::string_view reason) {
    std::uint8_t out[duplex::frame::max_control_payload];
    const auto n = duplex::frame::encode_close_payload(code, reason, out);
    if (code == 0 || code == duplex::close_code::no_status) {
        DUPLEX_FUZZ_CHECK(n == 0);
        return;
    }
    DUPLEX_FUZZ_CHECK(n >= 2 && n <= duplex::frame::max_control_payload);
    const std::string_view written(reinterpret_cast<const char*>(out) + 2, n - 2);
    DUPLEX_FUZZ_CHECK(reason.substr(0, written.size()) == written);
    if (duplex_fuzz::reference::is_valid_utf8(reason))
        DUPLEX_FUZZ_CHECK(duplex_fuzz::reference::is_valid_utf8(written));
}

} // namespace

DUPLEX_FUZZ_TARGET(frame_codec) {
    duplex_fuzz::input_reader in(data, size);
    const std::uint8_t flags = in.byte();
    const std::string_view rest = in.rest();
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(rest.data());
    const auto allowed_rsv = static_cast<std::uint8_t>((flags & 0x0E) << 3);

    if ((flags & 1) == 0)
        check_decode<duplex::server_role>(bytes, rest.size(), allowed_rsv);
    else
        check_decode<duplex::client_role>(bytes, rest.size(), allowed_rsv);

    // A header made of the first 14 bytes: b0 as the first header byte, a 64-bit
    // length shifted right by the low bits of b1 (so every length form comes up).
    duplex_fuzz::input_reader fields(bytes, rest.size());
    const std::uint8_t b0 = fields.byte();
    const std::uint8_t b1 = fields.byte();
    std::uint64_t length = 0;
    for (int i = 0; i < 8; ++i)
        length = (length << 8) | fields.byte();
    frame_header h;
    h.fin = (b0 & 0x80) != 0;
    h.rsv = static_cast<std::uint8_t>(b0 & 0x70);
    h.opcode = static_cast<duplex::frame::opcode>(b0 & 0x0F);
    h.masked = (b1 & 0x80) != 0;
    h.payload_length = (length & ~(std::uint64_t{1} << 63)) >> (b1 & 63);
    for (auto& k : h.mask_key)
        k = fields.byte();
    check_encode(h);

    const std::size_t split1 = static_cast<std::size_t>(flags >> 6) * rest.size() / 3 + b1 % 17u;
    const std::size_t split2 = b0 % 29u;
    check_mask(rest, h.mask_key, (flags >> 4) & 3u, split1);
    check_utf8(rest, split1, split2);
    check_close_payload(rest.substr(0, 130));
    check_close_reason_cut(static_cast<std::uint16_t>((b0 << 8) | b1), rest);
    return 0;
}
