#include <duplex/frame/frame_header.hpp>

#include "support/catch.hpp"

#include <duplex/frame/mask.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

using duplex::client_role;
using duplex::server_role;
using namespace duplex::frame;

namespace {

using byte_vector = std::vector<std::uint8_t>;

byte_vector bytes(std::initializer_list<int> values) {
    byte_vector out;
    for (int v : values)
        out.push_back(static_cast<std::uint8_t>(v));
    return out;
}

template <class Role>
decode_result decode(const byte_vector& data, frame_header& out, std::uint8_t allowed_rsv = 0) {
    return decode_header<Role>(data.data(), data.size(), out, allowed_rsv);
}

template <class Role>
decode_result decode_prefix(const byte_vector& data, std::size_t size, std::uint8_t allowed_rsv = 0) {
    frame_header ignored;
    return decode_header<Role>(data.data(), size, ignored, allowed_rsv);
}

byte_vector encode(const frame_header& header) {
    std::uint8_t buffer[max_header_size];
    const std::size_t n = encode_header(header, buffer);
    return byte_vector(buffer, buffer + n);
}

// A header as raw bytes: first byte, mask bit, and the length in the given
// form (7-bit, 16-bit or 64-bit) whether or not that form is minimal.
byte_vector raw_header(std::uint8_t first, bool masked, int length_form, std::uint64_t length) {
    byte_vector out{first};
    const std::uint8_t mask_bit = masked ? 0x80 : 0x00;
    if (length_form == 7) {
        out.push_back(static_cast<std::uint8_t>(mask_bit | length));
    } else if (length_form == 16) {
        out.push_back(static_cast<std::uint8_t>(mask_bit | 126));
        out.push_back(static_cast<std::uint8_t>(length >> 8));
        out.push_back(static_cast<std::uint8_t>(length));
    } else {
        out.push_back(static_cast<std::uint8_t>(mask_bit | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            out.push_back(static_cast<std::uint8_t>(length >> shift));
    }
    if (masked)
        for (int b : {0x11, 0x22, 0x33, 0x44})
            out.push_back(static_cast<std::uint8_t>(b));
    return out;
}

std::uint8_t first_byte(bool fin, std::uint8_t rsv, int op) {
    return static_cast<std::uint8_t>((fin ? 0x80 : 0x00) | rsv | op);
}

struct rfc_example {
    const char* name;
    byte_vector frame;
    bool from_client; // masked, so decoded by a server
    bool fin;
    opcode op;
    std::uint64_t payload_length;
    std::size_t header_size;
    std::string payload;
};

std::vector<rfc_example> rfc_examples() {
    byte_vector binary256 = bytes({0x82, 0x7E, 0x01, 0x00});
    binary256.resize(4 + 256, 0xAB);
    byte_vector binary64k = bytes({0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00});
    binary64k.resize(10 + 65536, 0xCD);
    return {
        {"single-frame unmasked text", bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}), false, true, opcode::text, 5,
         2, "Hello"},
        {"single-frame masked text", bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}), true,
         true, opcode::text, 5, 6, "Hello"},
        {"fragmented unmasked text, first fragment", bytes({0x01, 0x03, 0x48, 0x65, 0x6c}), false, false, opcode::text,
         3, 2, "Hel"},
        {"fragmented unmasked text, last fragment", bytes({0x80, 0x02, 0x6c, 0x6f}), false, true, opcode::continuation,
         2, 2, "lo"},
        {"unmasked ping", bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}), false, true, opcode::ping, 5, 2, "Hello"},
        {"masked pong", bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}), true, true,
         opcode::pong, 5, 6, "Hello"},
        {"256 bytes of binary, 16-bit length", binary256, false, true, opcode::binary, 256, 4,
         std::string(256, '\xAB')},
        {"64 KiB of binary, 64-bit length", binary64k, false, true, opcode::binary, 65536, 10,
         std::string(65536, '\xCD')},
    };
}

} // namespace

TEST_CASE("RFC 6455 5.7 example frames decode byte for byte", "[frame][header]") {
    for (const auto& example : rfc_examples()) {
        INFO(example.name);
        frame_header h;
        const auto r =
            example.from_client ? decode<server_role>(example.frame, h) : decode<client_role>(example.frame, h);
        REQUIRE(r.status == decode_result::complete);
        CHECK(r.error == header_error::none);
        CHECK(r.header_size == example.header_size);
        CHECK(h.fin == example.fin);
        CHECK(h.rsv == 0);
        CHECK(h.opcode == example.op);
        CHECK(h.masked == example.from_client);
        CHECK(h.payload_length == example.payload_length);
        if (example.from_client) CHECK(h.mask_key == std::array<std::uint8_t, 4>{0x37, 0xfa, 0x21, 0x3d});
        REQUIRE(example.frame.size() == r.header_size + h.payload_length);

        byte_vector payload(example.frame.begin() + static_cast<std::ptrdiff_t>(r.header_size), example.frame.end());
        if (h.masked) apply_mask(payload.data(), payload.size(), h.mask_key);
        CHECK(std::string(payload.begin(), payload.end()) == example.payload);
    }
}

TEST_CASE("RFC 6455 5.7 example headers encode byte for byte", "[frame][header]") {
    for (const auto& example : rfc_examples()) {
        INFO(example.name);
        frame_header h;
        h.fin = example.fin;
        h.opcode = example.op;
        h.masked = example.from_client;
        h.payload_length = example.payload_length;
        h.mask_key = {0x37, 0xfa, 0x21, 0x3d};
        const auto encoded = encode(h);
        CHECK(encoded.size() == example.header_size);
        CHECK(encoded == byte_vector(example.frame.begin(),
                                     example.frame.begin() + static_cast<std::ptrdiff_t>(example.header_size)));
        CHECK(header_size(example.payload_length, example.from_client) == example.header_size);
    }
}

TEST_CASE("RFC 6455 5.7 example headers need more at every prefix", "[frame][header]") {
    for (const auto& example : rfc_examples()) {
        INFO(example.name);
        for (std::size_t prefix = 0; prefix < example.header_size; ++prefix) {
            INFO("prefix " << prefix);
            const auto r = example.from_client ? decode_prefix<server_role>(example.frame, prefix)
                                               : decode_prefix<client_role>(example.frame, prefix);
            CHECK(r.status == decode_result::need_more);
            CHECK(r.error == header_error::none);
        }
    }
}

TEST_CASE("RFC 6455 5.7 example frames are refused by the wrong role", "[frame][header]") {
    for (const auto& example : rfc_examples()) {
        INFO(example.name);
        frame_header h;
        if (example.from_client) {
            const auto r = decode<client_role>(example.frame, h);
            CHECK(r.status == decode_result::invalid);
            CHECK(r.error == header_error::masked_frame);
        } else {
            const auto r = decode<server_role>(example.frame, h);
            CHECK(r.status == decode_result::invalid);
            CHECK(r.error == header_error::unmasked_frame);
        }
    }
}

TEST_CASE("header_size counts the minimal length form and the mask key", "[frame][header]") {
    CHECK(header_size(0, false) == 2);
    CHECK(header_size(125, false) == 2);
    CHECK(header_size(126, false) == 4);
    CHECK(header_size(65535, false) == 4);
    CHECK(header_size(65536, false) == 10);
    CHECK(header_size(0x7FFFFFFFFFFFFFFFull, false) == 10);
    CHECK(header_size(0, true) == 6);
    CHECK(header_size(125, true) == 6);
    CHECK(header_size(126, true) == 8);
    CHECK(header_size(65535, true) == 8);
    CHECK(header_size(65536, true) == 14);
    CHECK(header_size(65536, true) == max_header_size);
}

TEST_CASE("encode_header uses the minimal length encoding, big-endian", "[frame][header]") {
    frame_header h;
    h.opcode = opcode::binary;
    h.payload_length = 0;
    CHECK(encode(h) == bytes({0x82, 0x00}));
    h.payload_length = 125;
    CHECK(encode(h) == bytes({0x82, 0x7D}));
    h.payload_length = 126;
    CHECK(encode(h) == bytes({0x82, 0x7E, 0x00, 0x7E}));
    h.payload_length = 0x1234;
    CHECK(encode(h) == bytes({0x82, 0x7E, 0x12, 0x34}));
    h.payload_length = 65535;
    CHECK(encode(h) == bytes({0x82, 0x7E, 0xFF, 0xFF}));
    h.payload_length = 65536;
    CHECK(encode(h) == bytes({0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}));
    h.payload_length = 1ull << 32;
    CHECK(encode(h) == bytes({0x82, 0x7F, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00}));
    h.payload_length = 0x0102030405060708ull;
    CHECK(encode(h) == bytes({0x82, 0x7F, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}));
    h.payload_length = 0x7FFFFFFFFFFFFFFFull;
    CHECK(encode(h) == bytes({0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}));
}

TEST_CASE("encode_header writes FIN, RSV bits, opcode and the mask key", "[frame][header]") {
    frame_header h;
    h.fin = false;
    h.rsv = rsv1_bit | rsv3_bit;
    h.opcode = opcode::continuation;
    h.masked = true;
    h.payload_length = 3;
    h.mask_key = {0xDE, 0xAD, 0xBE, 0xEF};
    CHECK(encode(h) == bytes({0x50, 0x83, 0xDE, 0xAD, 0xBE, 0xEF}));
    h.fin = true;
    h.rsv = 0xFF; // only the three RSV bits reach the wire
    h.opcode = opcode::close;
    h.masked = false;
    CHECK(encode(h) == bytes({0xF8, 0x03}));
}

TEST_CASE("encode and decode round trip at every length class", "[frame][header]") {
    const std::uint64_t lengths[] = {0,
                                     1,
                                     125,
                                     126,
                                     127,
                                     128,
                                     255,
                                     256,
                                     65535,
                                     65536,
                                     65537,
                                     (1ull << 32) - 1,
                                     1ull << 32,
                                     (1ull << 32) + 5,
                                     1ull << 53,
                                     1ull << 62,
                                     0x7FFFFFFFFFFFFFFFull};
    const opcode opcodes[] = {opcode::continuation, opcode::text, opcode::binary,
                              opcode::close,        opcode::ping, opcode::pong};
    for (std::uint64_t length : lengths) {
        for (opcode op : opcodes) {
            if (is_control(op) && length > max_control_payload) continue;
            for (bool masked : {false, true}) {
                for (bool fin : {false, true}) {
                    if (is_control(op) && !fin) continue;
                    for (std::uint8_t rsv : {std::uint8_t{0}, rsv1_bit, std::uint8_t(rsv1_bit | rsv2_bit | rsv3_bit)}) {
                        INFO("length " << length << " opcode " << int(op) << " masked " << masked << " fin " << fin
                                       << " rsv " << int(rsv));
                        frame_header in;
                        in.fin = fin;
                        in.rsv = rsv;
                        in.opcode = op;
                        in.masked = masked;
                        in.payload_length = length;
                        in.mask_key = {0x01, 0x80, 0x7F, 0xFF};
                        auto wire = encode(in);
                        REQUIRE(wire.size() == header_size(length, masked));
                        const int len7 = wire[1] & 0x7F;
                        CHECK(len7 == (length < 126 ? static_cast<int>(length) : (length <= 0xFFFF ? 126 : 127)));
                        CHECK(((wire[1] & 0x80) != 0) == masked);

                        // Payload bytes after the header do not change the outcome.
                        wire.push_back(0x81);
                        wire.push_back(0xFF);
                        frame_header out;
                        out.mask_key = {};
                        const auto r =
                            masked ? decode<server_role>(wire, out, 0x70) : decode<client_role>(wire, out, 0x70);
                        REQUIRE(r.status == decode_result::complete);
                        CHECK(r.header_size == header_size(length, masked));
                        CHECK(out.fin == fin);
                        CHECK(out.rsv == rsv);
                        CHECK(out.opcode == op);
                        CHECK(out.masked == masked);
                        CHECK(out.payload_length == length);
                        if (masked) CHECK(out.mask_key == in.mask_key);

                        for (std::size_t prefix = 0; prefix < r.header_size; ++prefix) {
                            const auto p = masked ? decode_prefix<server_role>(wire, prefix, 0x70)
                                                  : decode_prefix<client_role>(wire, prefix, 0x70);
                            INFO("prefix " << prefix);
                            CHECK(p.status == decode_result::need_more);
                        }
                    }
                }
            }
        }
    }
}

TEST_CASE("only opcodes 0-2 and 8-A are known", "[frame][header]") {
    for (int value = 0; value < 16; ++value) {
        INFO("opcode " << value);
        const bool known = value <= 2 || (value >= 8 && value <= 10);
        CHECK(is_known_opcode(static_cast<std::uint8_t>(value)) == known);
    }
    CHECK_FALSE(is_known_opcode(0x10));
    CHECK_FALSE(is_known_opcode(0xFF));
    CHECK(is_control(opcode::close));
    CHECK(is_control(opcode::ping));
    CHECK(is_control(opcode::pong));
    CHECK_FALSE(is_control(opcode::continuation));
    CHECK_FALSE(is_control(opcode::text));
    CHECK_FALSE(is_control(opcode::binary));
}

TEST_CASE("reserved opcodes are rejected", "[frame][header]") {
    for (int op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
        for (bool fin : {true, false}) {
            INFO("opcode " << op << " fin " << fin);
            frame_header h;
            const auto to_server = raw_header(first_byte(fin, 0, op), true, 7, 1);
            auto r = decode<server_role>(to_server, h);
            CHECK(r.status == decode_result::invalid);
            CHECK(r.error == header_error::reserved_opcode);
            const auto to_client = raw_header(first_byte(fin, 0, op), false, 7, 1);
            r = decode<client_role>(to_client, h);
            CHECK(r.status == decode_result::invalid);
            CHECK(r.error == header_error::reserved_opcode);
            // The first two bytes are enough to tell.
            CHECK(decode_prefix<server_role>(to_server, 2).error == header_error::reserved_opcode);
        }
    }
}

TEST_CASE("RSV bits are accepted only when an extension claims them", "[frame][header]") {
    for (int rsv = 1; rsv < 8; ++rsv) {
        const auto bits = static_cast<std::uint8_t>(rsv << 4);
        for (int allowed = 0; allowed < 8; ++allowed) {
            const auto allowed_bits = static_cast<std::uint8_t>(allowed << 4);
            INFO("rsv " << int(bits) << " allowed " << int(allowed_bits));
            frame_header h;
            const auto frame = raw_header(first_byte(true, bits, 1), true, 7, 5);
            const auto r = decode<server_role>(frame, h, allowed_bits);
            if ((bits & ~allowed_bits) == 0) {
                REQUIRE(r.status == decode_result::complete);
                CHECK(h.rsv == bits);
            } else {
                CHECK(r.status == decode_result::invalid);
                CHECK(r.error == header_error::reserved_bits);
            }
            // Same rule for frames a client receives.
            const auto r2 = decode<client_role>(raw_header(first_byte(true, bits, 2), false, 7, 5), h, allowed_bits);
            CHECK((r2.status == decode_result::complete) == ((bits & ~allowed_bits) == 0));
        }
    }
    frame_header h;
    CHECK(decode<server_role>(raw_header(first_byte(true, rsv1_bit, 1), true, 7, 5), h).error ==
          header_error::reserved_bits);
    REQUIRE(decode<server_role>(raw_header(first_byte(true, rsv1_bit, 1), true, 7, 5), h, rsv1_bit).status ==
            decode_result::complete);
    CHECK(h.rsv == rsv1_bit);
}

TEST_CASE("a server refuses unmasked frames and a client refuses masked ones", "[frame][header]") {
    for (int op : {0, 1, 2, 8, 9, 10}) {
        INFO("opcode " << op);
        frame_header h;
        auto r = decode<server_role>(raw_header(first_byte(true, 0, op), false, 7, 0), h);
        CHECK(r.status == decode_result::invalid);
        CHECK(r.error == header_error::unmasked_frame);
        r = decode<client_role>(raw_header(first_byte(true, 0, op), true, 7, 0), h);
        CHECK(r.status == decode_result::invalid);
        CHECK(r.error == header_error::masked_frame);
        CHECK(decode<server_role>(raw_header(first_byte(true, 0, op), true, 7, 0), h).status ==
              decode_result::complete);
        CHECK(decode<client_role>(raw_header(first_byte(true, 0, op), false, 7, 0), h).status ==
              decode_result::complete);
    }
    // A long unmasked frame is refused as soon as the second byte is seen.
    const auto long_unmasked = raw_header(0x82, false, 64, 1ull << 40);
    CHECK(decode_prefix<server_role>(long_unmasked, 2).error == header_error::unmasked_frame);
}

TEST_CASE("control frames must not be fragmented", "[frame][header]") {
    for (int op : {8, 9, 10}) {
        INFO("opcode " << op);
        frame_header h;
        auto r = decode<server_role>(raw_header(first_byte(false, 0, op), true, 7, 2), h);
        CHECK(r.status == decode_result::invalid);
        CHECK(r.error == header_error::fragmented_control);
        r = decode<client_role>(raw_header(first_byte(false, 0, op), false, 7, 0), h);
        CHECK(r.status == decode_result::invalid);
        CHECK(r.error == header_error::fragmented_control);
    }
    // Data frames may be fragmented.
    frame_header h;
    for (int op : {0, 1, 2})
        CHECK(decode<server_role>(raw_header(first_byte(false, 0, op), true, 7, 2), h).status ==
              decode_result::complete);
}

TEST_CASE("control frames carry at most 125 bytes", "[frame][header]") {
    for (int op : {8, 9, 10}) {
        INFO("opcode " << op);
        frame_header h;
        const auto ok = raw_header(first_byte(true, 0, op), true, 7, 125);
        REQUIRE(decode<server_role>(ok, h).status == decode_result::complete);
        CHECK(h.payload_length == 125);
        for (std::uint64_t length : {126ull, 127ull, 65535ull}) {
            const auto r = decode<server_role>(raw_header(first_byte(true, 0, op), true, 16, length), h);
            CHECK(r.status == decode_result::invalid);
            CHECK(r.error == header_error::control_too_large);
        }
        const auto r = decode<client_role>(raw_header(first_byte(true, 0, op), false, 64, 1ull << 20), h);
        CHECK(r.status == decode_result::invalid);
        CHECK(r.error == header_error::control_too_large);
    }
}

TEST_CASE("a 64-bit length with its most significant bit set is rejected", "[frame][header]") {
    for (int top = 0x80; top <= 0xFF; ++top) {
        INFO("top byte " << top);
        byte_vector frame = bytes({0x82, 0xFF, top, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4});
        frame_header h;
        const auto r = decode<server_role>(frame, h);
        CHECK(r.status == decode_result::invalid);
        CHECK(r.error == header_error::length_msb_set);
    }
    frame_header h;
    const auto all_ones = bytes({0x82, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
    CHECK(decode<client_role>(all_ones, h).error == header_error::length_msb_set);
    const auto largest = bytes({0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
    REQUIRE(decode<client_role>(largest, h).status == decode_result::complete);
    CHECK(h.payload_length == 0x7FFFFFFFFFFFFFFFull);
}

TEST_CASE("lengths not in their minimal form are rejected", "[frame][header]") {
    frame_header h;
    for (std::uint64_t length = 0; length < 126; ++length) {
        INFO("16-bit form of " << length);
        const auto r = decode<client_role>(raw_header(0x82, false, 16, length), h);
        CHECK(r.status == decode_result::invalid);
        CHECK(r.error == header_error::non_minimal_length);
    }
    REQUIRE(decode<client_role>(raw_header(0x82, false, 16, 126), h).status == decode_result::complete);
    CHECK(h.payload_length == 126);
    for (std::uint64_t length : {0ull, 1ull, 125ull, 126ull, 127ull, 256ull, 65534ull, 65535ull}) {
        INFO("64-bit form of " << length);
        const auto r = decode<server_role>(raw_header(0x82, true, 64, length), h);
        CHECK(r.status == decode_result::invalid);
        CHECK(r.error == header_error::non_minimal_length);
    }
    REQUIRE(decode<server_role>(raw_header(0x82, true, 64, 65536), h).status == decode_result::complete);
    CHECK(h.payload_length == 65536);
}
