// Autobahn 5.x: fragmentation (RFC 6455 5.4). Fragments reassemble into one
// message, control frames may come between them, control frames themselves
// are never fragmented, a continuation needs a started message and a new
// message may not start inside another.
#include <duplex/protocol/session.hpp>

#include "support/catch.hpp"

#include "harness.hpp"

#include <string>
#include <vector>

using namespace duplex_conformance;

TEST_CASE("5.1/5.2 a fragmented ping or pong fails with 1002", "[conformance][autobahn5]") {
    expect_both_roles({frame(op::ping, "fragment1", false), frame(op::continuation, "fragment2")},
                      expect_failure(1002));
    expect_both_roles({frame(op::pong, "fragment1", false), frame(op::continuation, "fragment2")},
                      expect_failure(1002));
    expect_both_roles({frame(op::close, close_body(1000), false), frame(op::continuation, "")}, expect_failure(1002));
    // Also in the middle of a fragmented data message.
    expect_both_roles({frame(op::text, "a", false), frame(op::ping, "p", false), frame(op::continuation, "b")},
                      expect_failure(1002));
}

TEST_CASE("5.3-5.5 a text message in two fragments is delivered whole", "[conformance][autobahn5]") {
    expect_both_roles({frame(op::text, "fragment1", false), frame(op::continuation, "fragment2")},
                      expect({"text:fragment1fragment2"}, {"text:fragment1fragment2"}));
    expect_both_roles({frame(op::binary, "fragment1", false), frame(op::continuation, "fragment2")},
                      expect({"binary:fragment1fragment2"}, {"binary:fragment1fragment2"}));
}

TEST_CASE("5.6-5.8 a ping between fragments is answered before the message completes", "[conformance][autobahn5]") {
    expect_both_roles(
        {frame(op::text, "fragment1", false), frame(op::ping, "ping payload"), frame(op::continuation, "fragment2")},
        expect({"ping:ping payload", "text:fragment1fragment2"}, {"pong:ping payload", "text:fragment1fragment2"}));
    // A pong and a ping between binary fragments, the ping's payload binary.
    const std::string bin("\x00\x01\xfe\xff", 4);
    expect_both_roles({frame(op::binary, "A", false), frame(op::pong, "x"), frame(op::continuation, "B", false),
                       frame(op::ping, bin), frame(op::continuation, "C")},
                      expect({"pong:x", "ping:" + show(bin), "binary:ABC"}, {"pong:" + show(bin), "binary:ABC"}));
}

TEST_CASE("5.9-5.11 a continuation with nothing to continue fails with 1002", "[conformance][autobahn5]") {
    expect_both_roles({frame(op::continuation, "non-continuation payload"), frame(op::text, "Hello, world!")},
                      expect_failure(1002));
    expect_both_roles({frame(op::continuation, "")}, expect_failure(1002));
    // After a complete message, a stray continuation is just as wrong.
    expect_both_roles({frame(op::text, "done"), frame(op::continuation, "stray")},
                      expect_failure(1002, {"text:done"}, {"text:done"}));
    expect_both_roles({frame(op::text, "a", false), frame(op::continuation, "b"), frame(op::continuation, "c")},
                      expect_failure(1002, {"text:ab"}, {"text:ab"}));
}

TEST_CASE("5.12-5.14 a non-final continuation with nothing to continue fails with 1002", "[conformance][autobahn5]") {
    expect_both_roles({frame(op::continuation, "non-continuation payload", false), frame(op::text, "Hello, world!")},
                      expect_failure(1002));
}

TEST_CASE("5.15 after a complete fragmented message, a stray continuation fails", "[conformance][autobahn5]") {
    expect_both_roles({frame(op::text, "fragment1", false), frame(op::continuation, "fragment2"),
                       frame(op::continuation, "fragment3", false), frame(op::text, "fragment4")},
                      expect_failure(1002, {"text:fragment1fragment2"}, {"text:fragment1fragment2"}));
}

TEST_CASE("5.16/5.17 repeated stray continuations then a message fail at the first", "[conformance][autobahn5]") {
    for (bool fin : {false, true}) {
        INFO("stray continuation FIN " << fin);
        std::vector<frame_spec> frames;
        for (int i = 0; i < 2; ++i) {
            frames.push_back(frame(op::continuation, "fragment1", fin));
            frames.push_back(frame(op::text, "fragment2", false));
            frames.push_back(frame(op::continuation, "fragment3"));
        }
        expect_both_roles(frames, expect_failure(1002));
    }
}

TEST_CASE("5.18 a new data message inside a fragmented one fails with 1002", "[conformance][autobahn5]") {
    expect_both_roles({frame(op::text, "fragment1", false), frame(op::text, "fragment2")}, expect_failure(1002));
    expect_both_roles({frame(op::text, "fragment1", false), frame(op::binary, "fragment2")}, expect_failure(1002));
    expect_both_roles({frame(op::binary, "a", false), frame(op::continuation, "b", false), frame(op::text, "c", false)},
                      expect_failure(1002));
}

TEST_CASE("5.19/5.20 five fragments with pings between them", "[conformance][autobahn5]") {
    std::vector<frame_spec> frames;
    std::string whole;
    for (int i = 1; i <= 5; ++i) {
        const std::string part = "fragment" + std::to_string(i);
        whole += part;
        frames.push_back(frame(i == 1 ? op::text : op::continuation, part, i == 5));
        if (i == 2 || i == 4) frames.push_back(frame(op::ping, "pongme " + std::to_string(i / 2) + "!"));
    }
    expect_both_roles(frames, expect({"ping:pongme 1!", "ping:pongme 2!", text_msg(whole)},
                                     {"pong:pongme 1!", "pong:pongme 2!", text_msg(whole)}));
}

TEST_CASE("empty fragments anywhere in a message", "[conformance][autobahn5]") {
    expect_both_roles({frame(op::text, "", false), frame(op::continuation, "", false), frame(op::continuation, "")},
                      expect({"text:"}, {"text:"}));
    expect_both_roles(
        {frame(op::text, "", false), frame(op::continuation, "middle", false), frame(op::continuation, "")},
        expect({"text:middle"}, {"text:middle"}));
    expect_both_roles({frame(op::binary, "start", false), frame(op::continuation, "", false), frame(op::ping, ""),
                       frame(op::continuation, "end")},
                      expect({"ping:", "binary:startend"}, {"pong:", "binary:startend"}));
}

TEST_CASE("fragments of every size reassemble to the same message", "[conformance][autobahn5]") {
    const auto t = text_payload(300, 5);
    const auto b = binary_payload(300, 5);
    for (std::size_t size : {1u, 2u, 7u, 125u, 126u, 299u}) {
        INFO("fragments of " << size << " bytes");
        auto frames = fragments(op::text, t, size);
        const auto more = fragments(op::binary, b, size);
        frames.insert(frames.end(), more.begin(), more.end());
        const auto expected = expect({text_msg(t), binary_msg(b)}, {text_msg(t), binary_msg(b)});
        check_outcome(run_cut<server_role>(wire<server_role>(frames), {}), expected);
        check_outcome(run_reads<server_role>(wire<server_role>(frames), 1), expected);
        check_outcome(run_reads<client_role>(wire<client_role>(frames), 5), expected);
    }
}

TEST_CASE("a close inside a fragmented message ends it: nothing partial is delivered", "[conformance][autobahn5]") {
    expect_both_roles({frame(op::text, "fragment1", false), close_frame(1000), frame(op::continuation, "fragment2")},
                      expect({"close:1000"}, {"close:1000"}, session_state::closed));
    // The session no longer holds a half-read message.
    echo_peer<server_role> peer;
    peer.feed(wire<server_role>({frame(op::binary, binary_payload(1000), false), close_frame(1001)}));
    CHECK(peer.take_events() == std::vector<std::string>{"close:1001"});
    CHECK_FALSE(peer.get().in_message());
    peer.get().release_idle_buffers();
    CHECK(peer.get().buffer_capacity() == 0);
}
