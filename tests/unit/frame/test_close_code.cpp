#include <duplex/frame/close_code.hpp>

#include "support/catch.hpp"
#include "support/wire.hpp"

#include <cstdint>
#include <string>

using namespace duplex::frame;

TEST_CASE("close codes allowed on the wire follow RFC 6455 7.4", "[frame][close]") {
    for (std::uint32_t code = 0; code <= 5100; ++code) {
        const bool expected =
            (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
        INFO("code " << code);
        CHECK(is_valid_close_code(static_cast<std::uint16_t>(code)) == expected);
    }
    CHECK_FALSE(is_valid_close_code(65535));
}

TEST_CASE("parsing close payloads", "[frame][close]") {
    const auto parse = [](const std::string& p) {
        return parse_close_payload(reinterpret_cast<const std::uint8_t*>(p.data()), p.size());
    };
    SECTION("empty payload means no status (1005)") {
        const auto c = parse("");
        CHECK(c.valid);
        CHECK(c.code == duplex::close_code::no_status);
    }
    SECTION("one byte is a protocol error") {
        const auto c = parse("\x03");
        CHECK_FALSE(c.valid);
        CHECK(c.error_code == 1002);
    }
    SECTION("code and reason") {
        const auto payload = duplex_test::close_payload(4001, "bye"); // the reason is a view into it
        const auto c = parse(payload);
        CHECK(c.valid);
        CHECK(c.code == 4001);
        CHECK(c.reason == "bye");
    }
    SECTION("invalid codes are protocol errors") {
        for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
            const auto c = parse(duplex_test::close_payload(static_cast<std::uint16_t>(code)));
            CHECK_FALSE(c.valid);
            CHECK(c.error_code == 1002);
        }
    }
    SECTION("a reason that is not UTF-8 is 1007") {
        const auto c = parse(duplex_test::close_payload(1000, "\xed\xa0\x80"));
        CHECK_FALSE(c.valid);
        CHECK(c.error_code == 1007);
    }
    SECTION("123 bytes of reason are fine") {
        CHECK(parse(duplex_test::close_payload(1000, std::string(123, 'r'))).valid);
    }
}

TEST_CASE("encoding close payloads", "[frame][close]") {
    std::uint8_t out[max_control_payload];
    CHECK(encode_close_payload(0, "ignored", out) == 0);
    CHECK(encode_close_payload(duplex::close_code::no_status, "", out) == 0);
    REQUIRE(encode_close_payload(1001, "going", out) == 7);
    CHECK(out[0] == 0x03);
    CHECK(out[1] == 0xE9);
    CHECK(encode_close_payload(1000, std::string(200, 'x'), out) == 125); // reason cut to 123 bytes
}
