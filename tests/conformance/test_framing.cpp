// Autobahn 1.x (framing: payload lengths of every length class, echoed), the
// example frames of RFC 6455 5.7 byte for byte, and header-level rules: masking
// by direction (5.1, 5.3) and the minimal length encoding (5.2).
#include <duplex/protocol/session.hpp>

#include "support/catch.hpp"

#include "harness.hpp"

#include <string>
#include <vector>

using namespace duplex_conformance;

namespace {
std::string bytes(std::initializer_list<int> values) {
    std::string s;
    for (int v : values)
        s += static_cast<char>(v);
    return s;
}
} // namespace

TEST_CASE("harness: the frame builder writes RFC 6455 5.7's masked example", "[conformance][harness]") {
    // Guards the harness itself: every other case depends on this encoder.
    CHECK(encode(frame(op::text, "Hello"), mask_key{0x37, 0xfa, 0x21, 0x3d}) ==
          bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
    CHECK(encode(frame(op::text, "Hello"), std::nullopt) == bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    auto lying = frame(op::binary, "");
    lying.declared_length = 5;
    lying.form = length_form::extended64;
    CHECK(encode(lying, std::nullopt) == bytes({0x82, 127, 0, 0, 0, 0, 0, 0, 0, 5}));
    CHECK(describe_written<server_role>(bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f})) ==
          std::vector<std::string>{"text:Hello"});
}

TEST_CASE("1.1.x text messages of lengths 0-65536 are echoed intact", "[conformance][autobahn1]") {
    for (std::size_t n : {0u, 1u, 125u, 126u, 127u, 128u, 65535u, 65536u}) {
        INFO("payload of " << n << " bytes");
        const auto payload = text_payload(n);
        expect_both_roles({frame(op::text, payload)}, expect({text_msg(payload)}, {text_msg(payload)}));
    }
}

TEST_CASE("1.2.x binary messages of lengths 0-65536 are echoed intact", "[conformance][autobahn1]") {
    for (std::size_t n : {0u, 1u, 125u, 126u, 127u, 128u, 65535u, 65536u}) {
        INFO("payload of " << n << " bytes");
        const auto payload = binary_payload(n);
        expect_both_roles({frame(op::binary, payload)}, expect({binary_msg(payload)}, {binary_msg(payload)}));
    }
}

TEST_CASE("1.1.8/1.2.8 a 65536-byte message arriving in chops of 997 bytes", "[conformance][autobahn1]") {
    const auto t = text_payload(65536, 3);
    const auto b = binary_payload(65536, 3);
    const auto wire_bytes = wire<server_role>({frame(op::text, t), frame(op::binary, b)});
    const auto expected = expect({text_msg(t), binary_msg(b)}, {text_msg(t), binary_msg(b)});
    check_outcome(run_reads<server_role>(wire_bytes, 997), expected);
    check_outcome(run_reads<server_role>(wire_bytes, 997, {}, true), expected);
    check_outcome(run_reads<client_role>(wire<client_role>({frame(op::text, t), frame(op::binary, b)}), 997), expected);
}

TEST_CASE("several messages in one read are all delivered, in order", "[conformance][autobahn1]") {
    std::vector<frame_spec> frames;
    std::vector<std::string> expected;
    for (std::size_t n : {0u, 3u, 125u, 126u, 300u, 2u}) {
        const auto payload = n % 2 ? text_payload(n, static_cast<unsigned>(n)) : binary_payload(n);
        frames.push_back(frame(n % 2 ? op::text : op::binary, payload));
        expected.push_back(n % 2 ? text_msg(payload) : binary_msg(payload));
    }
    expect_both_roles(frames, expect(expected, expected));
}

TEST_CASE("RFC 6455 5.7: the example frames, byte for byte, through both roles", "[conformance][rfc6455]") {
    const auto hello_unmasked = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
    const auto hello_masked = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
    const auto hel_lo = bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f});
    const auto ping_unmasked = bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
    const auto pong_masked = bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});

    SECTION("a single-frame unmasked text message: a client reads it, a server writes it") {
        expect_every_chunking<client_role>(hello_unmasked, expect({"text:Hello"}, {"text:Hello"}));
        session<server_role> s;
        REQUIRE_FALSE(s.send_text("Hello"));
        CHECK(s.output() == hello_unmasked);
    }
    SECTION("a single-frame masked text message: a server reads it, a client's frame differs only in key") {
        expect_every_chunking<server_role>(hello_masked, expect({"text:Hello"}, {"text:Hello"}));
        session<client_role> c;
        REQUIRE_FALSE(c.send_text("Hello"));
        const std::string out(c.output());
        REQUIRE(out.size() == hello_masked.size());
        CHECK(out.substr(0, 2) == hello_masked.substr(0, 2));
        CHECK(describe_written<client_role>(out) == std::vector<std::string>{"text:Hello"});
    }
    SECTION("a fragmented unmasked text message: read whole, written by send_fragment exactly") {
        expect_every_chunking<client_role>(hel_lo, expect({"text:Hello"}, {"text:Hello"}));
        session<server_role> s;
        REQUIRE_FALSE(s.send_fragment(message_kind::text, "Hel", 3, false));
        REQUIRE_FALSE(s.send_fragment(message_kind::text, "lo", 2, true));
        CHECK(s.output() == hel_lo);
    }
    SECTION("an unmasked ping and the masked pong that answers it") {
        echo_peer<client_role> client;
        client.feed(ping_unmasked);
        CHECK(client.take_events() == std::vector<std::string>{"ping:Hello"});
        const std::string pong(client.written_bytes());
        REQUIRE(pong.size() == pong_masked.size());
        CHECK(pong.substr(0, 2) == pong_masked.substr(0, 2)); // FIN+pong, MASK+length 5
        CHECK(client.take_written() == std::vector<std::string>{"pong:Hello"});
        // The server receives exactly the RFC's pong bytes as a pong event.
        expect_every_chunking<server_role>(pong_masked, expect({"pong:Hello"}, {}));
        session<server_role> s;
        REQUIRE_FALSE(s.send_ping("Hello"));
        CHECK(s.output() == ping_unmasked);
    }
    SECTION("256 bytes of binary data in a single unmasked frame") {
        const auto payload = binary_payload(256);
        const auto expected_frame = bytes({0x82, 0x7E, 0x01, 0x00}) + payload;
        session<server_role> s;
        REQUIRE_FALSE(s.send_binary(payload));
        CHECK(s.output() == expected_frame);
        expect_every_chunking<client_role>(expected_frame, expect({binary_msg(payload)}, {binary_msg(payload)}));
    }
    SECTION("64 KiB of binary data in a single unmasked frame") {
        const auto payload = binary_payload(65536);
        const auto expected_frame = bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}) + payload;
        session<server_role> s;
        REQUIRE_FALSE(s.send_binary(payload));
        CHECK(s.output() == expected_frame);
        check_outcome(run_cut<client_role>(expected_frame, {}), expect({binary_msg(payload)}, {binary_msg(payload)}));
        check_outcome(run_reads<client_role>(expected_frame, 4096),
                      expect({binary_msg(payload)}, {binary_msg(payload)}));
    }
}

TEST_CASE("RFC 6455 5.1: frames masked the wrong way fail the connection with 1002", "[conformance][rfc6455]") {
    // A server must close on an unmasked frame, a client on a masked one.
    for (const auto& f : {frame(op::text, "Hello"), frame(op::binary, ""), frame(op::ping, "p"), close_frame(1000)}) {
        INFO("opcode " << int(f.opcode));
        expect_every_chunking<server_role>(encode(f, std::nullopt), expect_failure(1002));
        expect_every_chunking<client_role>(encode(f, mask_key{1, 2, 3, 4}), expect_failure(1002));
        expect_every_chunking<client_role>(encode(f, mask_key{0, 0, 0, 0}), expect_failure(1002));
    }
    // After valid traffic too, and nothing after the violation is processed.
    const auto good = wire<server_role>({frame(op::text, "ok")});
    expect_every_chunking<server_role>(good + encode(frame(op::text, "bad"), std::nullopt) +
                                           wire<server_role>({frame(op::ping, "")}),
                                       expect_failure(1002, {"text:ok"}, {"text:ok"}));
}

TEST_CASE("RFC 6455 5.2: a length not in its minimal form fails with 1002", "[conformance][rfc6455]") {
    // "the minimal number of bytes MUST be used to encode the length"
    auto short16 = frame(op::text, "abc");
    short16.form = length_form::extended16;
    auto short64 = frame(op::binary, text_payload(126));
    short64.form = length_form::extended64;
    auto medium64 = frame(op::binary, text_payload(65535));
    medium64.form = length_form::extended64;
    for (const auto& f : {short16, short64, medium64}) {
        INFO("payload " << f.payload.size());
        check_outcome(run_cut<server_role>(wire<server_role>({f}), {}), expect_failure(1002));
        check_outcome(run_reads<server_role>(wire<server_role>({f}), 1), expect_failure(1002));
        check_outcome(run_cut<client_role>(wire<client_role>({f}), {}), expect_failure(1002));
    }
    // The boundaries themselves are minimal and accepted.
    auto exact16 = frame(op::binary, binary_payload(126));
    exact16.form = length_form::extended16;
    auto exact64 = frame(op::binary, binary_payload(65536));
    exact64.form = length_form::extended64;
    check_outcome(run_cut<server_role>(wire<server_role>({exact16, exact64}), {}),
                  expect({binary_msg(exact16.payload), binary_msg(exact64.payload)},
                         {binary_msg(exact16.payload), binary_msg(exact64.payload)}));
}

TEST_CASE("frames split anywhere, header included, are reassembled", "[conformance][autobahn1]") {
    // Three short frames, each with a different key, split at every pair of offsets.
    const auto bytes_in =
        wire<server_role>({frame(op::text, "abcdefg"), frame(op::ping, "p"), frame(op::binary, "xy")});
    const auto expected = expect({"text:abcdefg", "ping:p", "binary:xy"}, {"text:abcdefg", "pong:p", "binary:xy"});
    for (std::size_t a = 1; a < bytes_in.size(); ++a)
        for (std::size_t b = a + 1; b < bytes_in.size(); ++b) {
            const auto got = run_cut<server_role>(bytes_in, {a, b});
            if (got == expected) continue;
            INFO("cut at " << a << " and " << b);
            check_outcome(got, expected);
            FAIL("chunking changed the outcome");
        }
    SUCCEED("every three-way split gives the same outcome");
}
