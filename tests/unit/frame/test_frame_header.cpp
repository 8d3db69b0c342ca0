#include <duplex/frame/frame_header.hpp>

#include "support/catch.hpp"
#include "support/wire.hpp"

#include <cstdint>
#include <string>
#include <vector>

using duplex::client_role;
using duplex::server_role;
using namespace duplex::frame;

namespace {
const std::uint8_t* u8(const std::string& s) {
    return reinterpret_cast<const std::uint8_t*>(s.data());
}

template <class Role>
decode_result decode(const std::string& s, frame_header& h, std::uint8_t allowed_rsv = 0) {
    return decode_header<Role>(u8(s), s.size(), h, allowed_rsv);
}
} // namespace

TEST_CASE("RFC 6455 5.7 example headers decode byte for byte", "[frame]") {
    frame_header h;
    SECTION("single-frame unmasked text") {
        const auto f = duplex_test::bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
        const auto r = decode<client_role>(f, h);
        REQUIRE(r.status == decode_result::complete);
        CHECK(r.header_size == 2);
        CHECK(h.fin);
        CHECK(h.opcode == opcode::text);
        CHECK_FALSE(h.masked);
        CHECK(h.payload_length == 5);
    }
    SECTION("single-frame masked text") {
        const auto f = duplex_test::bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
        const auto r = decode<server_role>(f, h);
        REQUIRE(r.status == decode_result::complete);
        CHECK(r.header_size == 6);
        CHECK(h.masked);
        CHECK(h.mask_key == std::array<std::uint8_t, 4>{0x37, 0xfa, 0x21, 0x3d});
    }
    SECTION("fragmented unmasked text") {
        const auto first = duplex_test::bytes({0x01, 0x03, 0x48, 0x65, 0x6c});
        const auto last = duplex_test::bytes({0x80, 0x02, 0x6c, 0x6f});
        REQUIRE(decode<client_role>(first, h).status == decode_result::complete);
        CHECK_FALSE(h.fin);
        CHECK(h.opcode == opcode::text);
        REQUIRE(decode<client_role>(last, h).status == decode_result::complete);
        CHECK(h.fin);
        CHECK(h.opcode == opcode::continuation);
    }
    SECTION("unmasked ping and masked pong") {
        REQUIRE(decode<client_role>(duplex_test::bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}), h).status ==
                decode_result::complete);
        CHECK(h.opcode == opcode::ping);
        REQUIRE(decode<server_role>(
                    duplex_test::bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}), h)
                    .status == decode_result::complete);
        CHECK(h.opcode == opcode::pong);
    }
    SECTION("256 bytes with a 16-bit length") {
        const auto f = duplex_test::bytes({0x82, 0x7E, 0x01, 0x00});
        const auto r = decode<client_role>(f, h);
        REQUIRE(r.status == decode_result::complete);
        CHECK(r.header_size == 4);
        CHECK(h.payload_length == 256);
        CHECK(h.opcode == opcode::binary);
    }
    SECTION("64 KiB with a 64-bit length") {
        const auto f = duplex_test::bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00});
        const auto r = decode<client_role>(f, h);
        REQUIRE(r.status == decode_result::complete);
        CHECK(r.header_size == 10);
        CHECK(h.payload_length == 65536);
    }
}

TEST_CASE("encode and decode round trip at every length class", "[frame]") {
    for (std::uint64_t length :
         {0ull, 1ull, 125ull, 126ull, 127ull, 65535ull, 65536ull, (1ull << 32) + 5, (1ull << 62)}) {
        for (bool masked : {false, true}) {
            frame_header in;
            in.fin = (length % 2) == 0;
            in.rsv = rsv1_bit;
            in.opcode = opcode::binary;
            in.masked = masked;
            in.payload_length = length;
            in.mask_key = {1, 2, 3, 4};
            std::uint8_t buffer[max_header_size];
            const auto n = encode_header(in, buffer);
            CHECK(n == header_size(length, masked));
            frame_header out;
            const auto r = masked ? decode_header<server_role>(buffer, n, out, rsv1_bit)
                                  : decode_header<client_role>(buffer, n, out, rsv1_bit);
            REQUIRE(r.status == decode_result::complete);
            CHECK(r.header_size == n);
            CHECK(out.fin == in.fin);
            CHECK(out.rsv == in.rsv);
            CHECK(out.payload_length == length);
            CHECK(out.masked == masked);
            if (masked) CHECK(out.mask_key == in.mask_key);
            // Every proper prefix asks for more.
            for (std::size_t prefix = 0; prefix < n; ++prefix) {
                frame_header partial;
                const auto p = masked ? decode_header<server_role>(buffer, prefix, partial, rsv1_bit)
                                      : decode_header<client_role>(buffer, prefix, partial, rsv1_bit);
                CHECK(p.status == decode_result::need_more);
            }
        }
    }
}

TEST_CASE("invalid headers are rejected with the reason", "[frame]") {
    frame_header h;
    SECTION("reserved opcodes") {
        for (int op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
            const auto r = decode<server_role>(duplex_test::make_frame(static_cast<std::uint8_t>(op), "x"), h);
            CHECK(r.status == decode_result::invalid);
            CHECK(r.error == header_error::reserved_opcode);
        }
    }
    SECTION("RSV bits only when an extension claims them") {
        for (std::uint8_t bit : {rsv1_bit, rsv2_bit, rsv3_bit}) {
            const auto f = duplex_test::make_frame(1, "x", true, true, bit);
            CHECK(decode<server_role>(f, h).error == header_error::reserved_bits);
            CHECK(decode<server_role>(f, h, bit).status == decode_result::complete);
        }
        CHECK(decode<server_role>(duplex_test::make_frame(1, "x", true, true, rsv2_bit), h, rsv1_bit).error ==
              header_error::reserved_bits);
    }
    SECTION("masking rules per role") {
        CHECK(decode<server_role>(duplex_test::server_frame(1, "x"), h).error == header_error::unmasked_frame);
        CHECK(decode<client_role>(duplex_test::client_frame(1, "x"), h).error == header_error::masked_frame);
    }
    SECTION("control frames: FIN required, at most 125 bytes") {
        CHECK(decode<server_role>(duplex_test::client_frame(0x9, "x", false), h).error ==
              header_error::fragmented_control);
        CHECK(decode<server_role>(duplex_test::client_frame(0x9, std::string(126, 'x')), h).error ==
              header_error::control_too_large);
        CHECK(decode<server_role>(duplex_test::client_frame(0x8, std::string(125, 'x')), h).status ==
              decode_result::complete);
    }
    SECTION("64-bit length with the top bit set") {
        const auto f = duplex_test::bytes({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4});
        CHECK(decode<server_role>(f, h).error == header_error::length_msb_set);
        const auto max = duplex_test::bytes({0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4});
        REQUIRE(decode<server_role>(max, h).status == decode_result::complete);
        CHECK(h.payload_length == 0x7FFFFFFFFFFFFFFFull);
    }
    SECTION("non-minimal lengths") {
        CHECK(decode<client_role>(duplex_test::bytes({0x82, 0x7E, 0x00, 0x7D}), h).error ==
              header_error::non_minimal_length);
        CHECK(decode<client_role>(duplex_test::bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}), h).error ==
              header_error::non_minimal_length);
    }
}
