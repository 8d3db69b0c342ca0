// Autobahn 3.x (reserved bits) and 4.x (reserved opcodes): without a
// negotiated extension every RSV bit and every undefined opcode fails the
// connection with 1002 (RFC 6455 5.2), before any handler sees the frame,
// and nothing behind it is processed.
#include <duplex/protocol/session.hpp>

#include "support/catch.hpp"

#include "harness.hpp"

#include <string>
#include <vector>

using namespace duplex_conformance;

TEST_CASE("3.x every combination of RSV bits on every frame type fails with 1002", "[conformance][autobahn3]") {
    for (std::uint8_t rsv = 0x10; rsv <= 0x70; rsv = static_cast<std::uint8_t>(rsv + 0x10)) {
        INFO("RSV bits 0x" << std::hex << int(rsv));
        // 3.1, 3.5: a text or binary message with RSV set.
        expect_both_roles({frame(op::text, "Hello", true, rsv)}, expect_failure(1002));
        expect_both_roles({frame(op::binary, std::string("\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 8), true, rsv)},
                          expect_failure(1002));
        // 3.6, 3.7: control frames, which no extension may touch.
        expect_both_roles({frame(op::ping, "Hello", true, rsv)}, expect_failure(1002));
        expect_both_roles({frame(op::pong, "Hello", true, rsv)}, expect_failure(1002));
        expect_both_roles({frame(op::close, close_body(1000), true, rsv)}, expect_failure(1002));
        // On the first and on a later fragment of a fragmented message.
        expect_both_roles({frame(op::text, "frag", false, rsv), frame(op::continuation, "ment")}, expect_failure(1002));
        expect_both_roles({frame(op::text, "frag", false), frame(op::continuation, "ment", true, rsv)},
                          expect_failure(1002));
    }
}

TEST_CASE("3.2-3.4 after a good message, a bad frame fails and the ping behind it is ignored",
          "[conformance][autobahn3]") {
    for (std::uint8_t rsv : {rsv3, rsv2, static_cast<std::uint8_t>(rsv2 | rsv3), rsv1}) {
        INFO("RSV bits 0x" << std::hex << int(rsv));
        expect_both_roles({frame(op::text, "Hello"), frame(op::text, "Hello", true, rsv), frame(op::ping, "")},
                          expect_failure(1002, {"text:Hello"}, {"text:Hello"}));
    }
}

TEST_CASE("4.1.x/4.2.x reserved opcodes fail the connection with 1002", "[conformance][autobahn4]") {
    for (int value : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
        const auto reserved = static_cast<std::uint8_t>(value);
        INFO("opcode " << value);
        // 4.x.1 empty, 4.x.2 with a payload.
        expect_both_roles({frame(reserved, "")}, expect_failure(1002));
        expect_both_roles({frame(reserved, "reserved opcode payload")}, expect_failure(1002));
        // 4.x.3-4.x.5: after a message, before a ping that must go unanswered.
        expect_both_roles({frame(op::text, "Hello"), frame(reserved, "reserved"), frame(op::ping, "")},
                          expect_failure(1002, {"text:Hello"}, {"text:Hello"}));
        // Without FIN, and inside a fragmented message.
        expect_both_roles({frame(reserved, "x", false)}, expect_failure(1002));
        expect_both_roles({frame(op::text, "a", false), frame(reserved, "x"), frame(op::continuation, "b")},
                          expect_failure(1002));
    }
}

TEST_CASE("a reserved frame with a huge length fails at its header", "[conformance][autobahn4]") {
    // Judged by its first two bytes: the session must not wait for 2^40 bytes.
    auto f = frame(0x3, "");
    f.declared_length = std::uint64_t{1} << 40;
    session<server_role> s;
    s.feed(wire<server_role>({f}));
    const auto ev = s.next_event();
    CHECK(describe(ev) == "fail:1002");
    CHECK(s.buffer_capacity() < 4096);
}
