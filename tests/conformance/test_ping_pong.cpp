// Autobahn 2.x: pings are answered with pongs carrying the same payload (RFC
// 6455 5.5.2), unsolicited pongs are accepted silently (5.5.3), control
// payloads are at most 125 bytes (5.5).
#include <duplex/protocol/session.hpp>

#include "support/catch.hpp"

#include "harness.hpp"

#include <string>
#include <vector>

using namespace duplex_conformance;

TEST_CASE("2.1-2.4 a ping is answered with a pong of the same payload", "[conformance][autobahn2]") {
    expect_both_roles({frame(op::ping, "")}, expect({"ping:"}, {"pong:"})); // 2.1
    expect_both_roles({frame(op::ping, "Hello, world!")},
                      expect({"ping:Hello, world!"}, {"pong:Hello, world!"})); // 2.2
    const std::string binary = std::string("\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 8);
    expect_both_roles({frame(op::ping, binary)}, expect({"ping:" + show(binary)}, {"pong:" + show(binary)})); // 2.3
    const auto p125 = binary_payload(125);
    expect_both_roles({frame(op::ping, p125)}, expect({"ping:" + show(p125)}, {"pong:" + show(p125)})); // 2.4, 2.6
}

TEST_CASE("2.5 a ping of 126 bytes fails the connection with 1002", "[conformance][autobahn2]") {
    // RFC 6455 5.5: "All control frames MUST have a payload length of 125 bytes or less".
    expect_both_roles({frame(op::ping, binary_payload(126))}, expect_failure(1002));
    expect_both_roles({frame(op::pong, binary_payload(126))}, expect_failure(1002));
    expect_both_roles({frame(op::ping, binary_payload(65536))}, expect_failure(1002));
    // Even when its length field lies: the 7-bit length alone decides (126 -> 16-bit form).
    auto lying = frame(op::ping, "");
    lying.declared_length = 126;
    expect_every_chunking<server_role>(wire<server_role>({lying}), expect_failure(1002));
    // And nothing after it is looked at.
    expect_both_roles({frame(op::text, "before"), frame(op::ping, binary_payload(200)), frame(op::ping, "after")},
                      expect_failure(1002, {"text:before"}, {"text:before"}));
}

TEST_CASE("2.7-2.9 unsolicited pongs are reported and not answered", "[conformance][autobahn2]") {
    expect_both_roles({frame(op::pong, "")}, expect({"pong:"}, {})); // 2.7
    expect_both_roles({frame(op::pong, "unsolicited pong payload")},
                      expect({"pong:unsolicited pong payload"}, {})); // 2.8
    expect_both_roles({frame(op::pong, "unsolicited pong payload"), frame(op::ping, "ping payload")},
                      expect({"pong:unsolicited pong payload", "ping:ping payload"}, {"pong:ping payload"})); // 2.9
}

TEST_CASE("2.10/2.11 ten pings in a row get ten pongs, in order", "[conformance][autobahn2]") {
    std::vector<frame_spec> frames;
    std::vector<std::string> events, written;
    for (int i = 0; i < 10; ++i) {
        const auto payload = "payload-" + std::to_string(i);
        frames.push_back(frame(op::ping, payload));
        events.push_back("ping:" + payload);
        written.push_back("pong:" + payload);
    }
    expect_both_roles(frames, expect(events, written));
}

TEST_CASE("pings interleaved with messages are answered in order", "[conformance][autobahn2]") {
    expect_both_roles({frame(op::text, "one"), frame(op::ping, "a"), frame(op::binary, "two"), frame(op::ping, "b"),
                       frame(op::pong, "c")},
                      expect({"text:one", "ping:a", "binary:two", "ping:b", "pong:c"},
                             {"text:one", "pong:a", "binary:two", "pong:b"}));
}

TEST_CASE("auto_pong off: pings are reported and nothing is written", "[conformance][autobahn2]") {
    session_options manual;
    manual.auto_pong = false;
    expect_both_roles({frame(op::ping, "x"), frame(op::ping, ""), frame(op::text, "m")},
                      expect({"ping:x", "ping:", "text:m"}, {"text:m"}), manual);
    // The application answers itself, with the payload the event carried.
    echo_peer<server_role> peer(manual, false);
    peer.feed(wire<server_role>({frame(op::ping, "by hand")}));
    CHECK(peer.take_events() == std::vector<std::string>{"ping:by hand"});
    CHECK(peer.take_written().empty());
    REQUIRE_FALSE(peer.get().send_pong("by hand"));
    peer.feed("");
    CHECK(peer.take_written() == std::vector<std::string>{"pong:by hand"});
}

TEST_CASE("the ping payload view is the unmasked payload", "[conformance][autobahn2]") {
    // A masked ping whose key touches every byte lane; the event sees plain text.
    auto f = frame(op::ping, "0123456789abcdef-0123456789abcdef");
    const auto bytes_in = encode(f, mask_key{0xa5, 0x5a, 0xff, 0x01});
    session<server_role> s;
    s.feed(bytes_in);
    const auto ev = s.next_event();
    REQUIRE(ev.type == event::ping);
    CHECK(ev.data == f.payload);
    CHECK(describe_written<server_role>(s.output()) == std::vector<std::string>{"pong:" + show(f.payload)});
}
