#include <duplex/frame/close_code.hpp>

#include "support/catch.hpp"

#include <cstdint>
#include <cstring>
#include <string>

using namespace duplex::frame;
namespace close_code = duplex::close_code;

namespace {

// A close payload as it appears on the wire: 2-byte code, big-endian, then the reason.
std::string wire_payload(std::uint16_t code, const std::string& reason = {}) {
    std::string p;
    p += static_cast<char>(code >> 8);
    p += static_cast<char>(code & 0xFF);
    return p + reason;
}

close_payload parse(const std::string& payload) {
    return parse_close_payload(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
}

} // namespace

TEST_CASE("close code constants have their RFC 6455 7.4.1 and IANA values", "[frame][close]") {
    CHECK(close_code::normal == 1000);
    CHECK(close_code::going_away == 1001);
    CHECK(close_code::protocol_error == 1002);
    CHECK(close_code::unsupported_data == 1003);
    CHECK(close_code::no_status == 1005);
    CHECK(close_code::abnormal == 1006);
    CHECK(close_code::invalid_payload == 1007);
    CHECK(close_code::policy_violation == 1008);
    CHECK(close_code::message_too_big == 1009);
    CHECK(close_code::mandatory_extension == 1010);
    CHECK(close_code::internal_error == 1011);
    CHECK(close_code::service_restart == 1012);
    CHECK(close_code::try_again_later == 1013);
    CHECK(close_code::bad_gateway == 1014);
    CHECK(close_code::tls_handshake == 1015);
    CHECK(max_close_reason == 123);
}

TEST_CASE("close codes allowed on the wire follow RFC 6455 7.4", "[frame][close]") {
    for (std::uint32_t code = 0; code <= 5100; ++code) {
        const bool expected =
            (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
        INFO("code " << code);
        CHECK(is_valid_close_code(static_cast<std::uint16_t>(code)) == expected);
    }
    // Never on the wire: reserved (1004), local-only (1005, 1006, 1015), unassigned and out of range.
    for (std::uint16_t code :
         {std::uint16_t{1004}, close_code::no_status, close_code::abnormal, close_code::tls_handshake,
          std::uint16_t{2999}, std::uint16_t{5000}, std::uint16_t{65535}})
        CHECK_FALSE(is_valid_close_code(code));
}

TEST_CASE("an empty close payload means no status (1005)", "[frame][close]") {
    const auto c = parse_close_payload(nullptr, 0);
    CHECK(c.valid);
    CHECK(c.code == close_code::no_status);
    CHECK(c.reason.empty());
    CHECK(c.error_code == 0);
}

TEST_CASE("a one-byte close payload is a protocol error", "[frame][close]") {
    for (int byte : {0x00, 0x03, 0xE8, 0xFF}) {
        const std::string payload(1, static_cast<char>(byte));
        const auto c = parse(payload);
        CHECK_FALSE(c.valid);
        CHECK(c.error_code == close_code::protocol_error);
    }
}

TEST_CASE("every close code is parsed big-endian and checked", "[frame][close]") {
    for (std::uint32_t code = 0; code <= 5100; ++code) {
        const auto payload = wire_payload(static_cast<std::uint16_t>(code));
        const auto c = parse(payload);
        INFO("code " << code);
        if (is_valid_close_code(static_cast<std::uint16_t>(code))) {
            CHECK(c.valid);
            CHECK(c.code == code);
            CHECK(c.reason.empty());
        } else {
            CHECK_FALSE(c.valid);
            CHECK(c.error_code == close_code::protocol_error);
        }
    }
    CHECK_FALSE(parse(wire_payload(65535)).valid);
}

TEST_CASE("a close payload with a code and a reason", "[frame][close]") {
    const auto payload = wire_payload(4001, "bye"); // the reason is a view into it
    const auto c = parse(payload);
    CHECK(c.valid);
    CHECK(c.code == 4001);
    CHECK(c.reason == "bye");
    CHECK(c.reason.data() == payload.data() + 2);
    const auto greek = wire_payload(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5");
    CHECK(parse(greek).valid);
}

TEST_CASE("an invalid code is a protocol error even with a reason", "[frame][close]") {
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
        INFO("code " << code);
        const auto c = parse(wire_payload(static_cast<std::uint16_t>(code), "reason"));
        CHECK_FALSE(c.valid);
        CHECK(c.error_code == close_code::protocol_error);
    }
}

TEST_CASE("a close reason that is not UTF-8 is 1007", "[frame][close]") {
    for (const std::string bad : {"\xed\xa0\x80", "\xff", "ok\xc0\x80", "cut\xe2\x82", "\xf4\x90\x80\x80"}) {
        const auto c = parse(wire_payload(1000, bad));
        CHECK_FALSE(c.valid);
        CHECK(c.error_code == close_code::invalid_payload);
    }
}

TEST_CASE("close reasons up to 123 bytes are fine; longer payloads are not", "[frame][close]") {
    const auto longest = wire_payload(1000, std::string(123, 'r'));
    REQUIRE(longest.size() == max_control_payload);
    const auto c = parse(longest);
    CHECK(c.valid);
    CHECK(c.reason.size() == 123);
    const auto too_long = parse(wire_payload(1000, std::string(124, 'r')));
    CHECK_FALSE(too_long.valid);
    CHECK(too_long.error_code == close_code::protocol_error);
}

TEST_CASE("encoding close payloads", "[frame][close]") {
    std::uint8_t out[max_control_payload];
    SECTION("codes 0 and 1005 write nothing") {
        std::memset(out, 0xAA, sizeof out);
        CHECK(encode_close_payload(0, "ignored", out) == 0);
        CHECK(encode_close_payload(close_code::no_status, "ignored", out) == 0);
        for (std::uint8_t b : out)
            REQUIRE(b == 0xAA);
    }
    SECTION("the code is big-endian, followed by the reason") {
        REQUIRE(encode_close_payload(1001, "going", out) == 7);
        CHECK(out[0] == 0x03);
        CHECK(out[1] == 0xE9);
        CHECK(std::string(reinterpret_cast<const char*>(out) + 2, 5) == "going");
        REQUIRE(encode_close_payload(4999, "", out) == 2);
        CHECK(out[0] == 0x13);
        CHECK(out[1] == 0x87);
    }
    SECTION("a 123-byte reason fits exactly") {
        const std::string reason(123, 'r');
        REQUIRE(encode_close_payload(1000, reason, out) == max_control_payload);
        CHECK(std::string(reinterpret_cast<const char*>(out) + 2, 123) == reason);
    }
    SECTION("longer reasons are cut to 123 bytes") {
        for (std::size_t length : {124u, 125u, 200u, 1000u}) {
            const std::string reason(length, 'x');
            CHECK(encode_close_payload(1000, reason, out) == max_control_payload);
        }
    }
    SECTION("a cut never splits a UTF-8 sequence") {
        // A 2-, 3- or 4-byte character straddling byte 123 of the reason is left out whole.
        for (const std::string character : {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"}) {
            for (std::size_t prefix = 120; prefix <= 123; ++prefix) {
                const std::string reason = std::string(prefix, 'a') + character + "tail";
                const auto n = encode_close_payload(1000, reason, out);
                INFO("character of " << character.size() << " bytes after " << prefix << " bytes");
                CHECK(n <= max_control_payload);
                const auto c = parse_close_payload(out, n);
                CHECK(c.valid);
                const std::size_t expected = prefix + character.size() <= 123 ? 123 : prefix;
                CHECK(c.reason.size() == expected);
            }
        }
    }
    SECTION("encode then parse round trips") {
        for (std::uint16_t code :
             {std::uint16_t{1000}, std::uint16_t{1011}, std::uint16_t{3000}, std::uint16_t{4999}}) {
            const auto n = encode_close_payload(code, "\xe2\x82\xac see you", out);
            const auto c = parse_close_payload(out, n);
            CHECK(c.valid);
            CHECK(c.code == code);
            CHECK(c.reason == "\xe2\x82\xac see you");
        }
    }
}
