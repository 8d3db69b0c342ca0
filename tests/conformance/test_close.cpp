// Autobahn 7.x: the closing handshake (RFC 6455 5.5.1, 7). A close is answered
// with a close echoing the code, nothing after a close is processed, close
// payloads are checked (code ranges of 7.4, UTF-8 reason, 125-byte limit),
// and a close we started completes when the peer's arrives.
#include <duplex/protocol/session.hpp>

#include "support/catch.hpp"

#include "harness.hpp"

#include <string>
#include <vector>

using namespace duplex_conformance;

namespace {
const auto closed = session_state::closed;
}

TEST_CASE("7.1.1-7.1.4 a close is answered once, and nothing behind it is processed", "[conformance][autobahn7]") {
    expect_both_roles({frame(op::text, "Hello World!"), close_frame(1000)},
                      expect({"text:Hello World!", "close:1000"}, {"text:Hello World!", "close:1000"}, closed));
    expect_both_roles({close_frame(1000), close_frame(1000)}, expect({"close:1000"}, {"close:1000"}, closed));
    expect_both_roles({close_frame(1000), frame(op::ping, "Hello World!")},
                      expect({"close:1000"}, {"close:1000"}, closed));
    expect_both_roles({close_frame(1000), frame(op::text, "Hello World!")},
                      expect({"close:1000"}, {"close:1000"}, closed));
    // Not even a violation behind the close counts.
    expect_both_roles({close_frame(1001), frame(0x3, "reserved"), frame(op::text, "\xff")},
                      expect({"close:1001"}, {"close:1001"}, closed));
}

TEST_CASE("7.1.5 a close between fragments ends the connection without the message", "[conformance][autobahn7]") {
    expect_both_roles({frame(op::text, "fragment1", false), close_frame(1000), frame(op::continuation, "fragment2")},
                      expect({"close:1000"}, {"close:1000"}, closed));
}

TEST_CASE("7.1.6 a large message, then a close, then a ping", "[conformance][autobahn7]") {
    const auto big = text_payload(256 * 1024, 9);
    const std::vector<frame_spec> frames = {frame(op::text, big), close_frame(1000), frame(op::ping, "Hello World!")};
    const auto expected = expect({text_msg(big), "close:1000"}, {text_msg(big), "close:1000"}, closed);
    check_outcome(run_cut<server_role>(wire<server_role>(frames), {}), expected);
    check_outcome(run_reads<server_role>(wire<server_role>(frames), 1300), expected);
    check_outcome(run_reads<client_role>(wire<client_role>(frames), 4096, {}, true), expected);
}

TEST_CASE("7.3.x close payload shapes", "[conformance][autobahn7]") {
    // 7.3.1: no payload -> the event says 1005, the reply carries no code either.
    expect_both_roles({frame(op::close, "")}, expect({"close:1005"}, {"close"}, closed));
    // 7.3.2: one byte cannot hold a code.
    expect_both_roles({frame(op::close, "\x03")}, expect_failure(1002));
    // 7.3.3-7.3.5: a code, a reason, the longest reason that fits (123 bytes).
    expect_both_roles({close_frame(1000)}, expect({"close:1000"}, {"close:1000"}, closed));
    expect_both_roles({close_frame(1000, "Hello World!")}, expect({"close:1000 Hello World!"}, {"close:1000"}, closed));
    const std::string r123(123, '*');
    expect_both_roles({close_frame(1000, r123)}, expect({"close:1000 " + show(r123)}, {"close:1000"}, closed));
    // 7.3.6: a 124-byte reason makes a 126-byte control frame.
    expect_both_roles({close_frame(1000, std::string(124, '*'))}, expect_failure(1002));
    // A reason in multi-byte UTF-8 is fine.
    const std::string kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
    expect_both_roles({close_frame(4000, kosme)}, expect({"close:4000 " + show(kosme)}, {"close:4000"}, closed));
}

TEST_CASE("7.5.1 a close reason that is not UTF-8 fails with 1007", "[conformance][autobahn7]") {
    expect_both_roles(
        {close_frame(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64")},
        expect_failure(1007));
    expect_both_roles({close_frame(1000, "truncated \xe2\x82")}, expect_failure(1007));
    expect_both_roles({close_frame(1000, "\xc0\xaf")}, expect_failure(1007));
}

TEST_CASE("7.7.x every valid close code is echoed", "[conformance][autobahn7]") {
    for (unsigned code : {1000u, 1001u, 1002u, 1003u, 1007u, 1008u, 1009u, 1010u, 1011u, 1012u, 1013u, 1014u, 3000u,
                          3999u, 4000u, 4999u}) {
        INFO("code " << code);
        const auto c = std::to_string(code);
        expect_both_roles({close_frame(static_cast<std::uint16_t>(code))},
                          expect({"close:" + c}, {"close:" + c}, closed));
    }
}

TEST_CASE("7.9.x/7.13.x invalid close codes fail with 1002", "[conformance][autobahn7]") {
    for (unsigned code : {0u, 1u, 999u, 1004u, 1005u, 1006u, 1015u, 1016u, 1100u, 2000u, 2999u, 5000u, 65535u}) {
        INFO("code " << code);
        expect_both_roles({close_frame(static_cast<std::uint16_t>(code))}, expect_failure(1002));
        expect_both_roles({close_frame(static_cast<std::uint16_t>(code), "with a reason")}, expect_failure(1002));
    }
}

TEST_CASE("a close we start completes when the peer's close arrives", "[conformance][autobahn7]") {
    for (bool client : {false, true}) {
        INFO((client ? "client" : "server") << " starts the close");
        const auto run = [&](auto& peer, auto wire_of) {
            auto& s = peer.get();
            REQUIRE_FALSE(s.send_close(4001, "going"));
            CHECK(s.state() == session_state::closing);
            CHECK_FALSE(s.should_close_transport()); // our close is not written yet
            peer.feed("");
            CHECK(peer.take_written() == std::vector<std::string>{"close:4001"});
            // Data the peer sent before it saw our close still arrives (RFC 6455
            // 7.1.2); it is not echoed: after a close nothing more is sent.
            peer.feed(wire_of({frame(op::text, "late"), frame(op::ping, "late ping")}));
            CHECK(peer.take_events() == std::vector<std::string>{"text:late", "ping:late ping"});
            CHECK(peer.take_written().empty());
            CHECK(s.state() == session_state::closing);
            // Then its close: the handshake is complete, no second close is written.
            peer.feed(wire_of({close_frame(4001), frame(op::text, "after")}));
            CHECK(peer.take_events() == std::vector<std::string>{"close:4001"});
            CHECK(peer.take_written().empty());
            CHECK(s.state() == closed);
            CHECK(s.should_close_transport());
            CHECK(s.transport_closed().type == event::none); // already closed: no 1006
        };
        if (client) {
            echo_peer<client_role> peer;
            run(peer, [](const std::vector<frame_spec>& f) { return wire<client_role>(f); });
        } else {
            echo_peer<server_role> peer;
            run(peer, [](const std::vector<frame_spec>& f) { return wire<server_role>(f); });
        }
    }
}

TEST_CASE("a close we start: the peer's answer may have no code, or another code", "[conformance][autobahn7]") {
    echo_peer<server_role> a;
    REQUIRE_FALSE(a.get().send_close(1000));
    a.feed(wire<server_role>({frame(op::close, "")}));
    CHECK(a.result() == expect({"close:1005"}, {"close:1000"}, closed));

    echo_peer<server_role> b;
    REQUIRE_FALSE(b.get().send_close(1001, "bye"));
    b.feed(wire<server_role>({close_frame(1000, "ok")}));
    CHECK(b.result() == expect({"close:1000 ok"}, {"close:1001"}, closed));

    // send_close with no code writes an empty close (RFC 6455 5.5.1: the body is optional).
    echo_peer<client_role> c;
    REQUIRE_FALSE(c.get().send_close(0));
    c.feed(wire<client_role>({frame(op::close, "")}));
    CHECK(c.result() == expect({"close:1005"}, {"close"}, closed));
}

TEST_CASE("a close we start: a violation from the peer ends it without a second close", "[conformance][autobahn7]") {
    for (const auto& bad :
         {frame(0x5, "reserved"), frame(op::text, "\xff"), close_frame(1005), frame(op::ping, "p", false)}) {
        INFO("opcode " << int(bad.opcode));
        echo_peer<server_role> peer;
        REQUIRE_FALSE(peer.get().send_close(1000));
        peer.feed(wire<server_role>({bad}));
        const auto got = peer.result();
        REQUIRE(got.events.size() == 1);
        CHECK(got.events[0].rfind("fail:", 0) == 0);
        CHECK(got.written == std::vector<std::string>{"close:1000"});
        CHECK(got.state == "closed");
    }
}

TEST_CASE("the transport ending without a close handshake reports 1006", "[conformance][autobahn7]") {
    // Open: the connection was lost, not closed (RFC 6455 7.1.5, 7.4.1).
    echo_peer<server_role> open;
    open.feed(wire<server_role>({frame(op::text, "partial", false)}));
    open.transport_closed();
    CHECK(open.result() == expect({"close:1006"}, {}, closed));
    CHECK(open.get().send_text("too late") == duplex::error::closed);
    open.feed(wire<server_role>({frame(op::continuation, "ignored")}));
    CHECK(open.take_events() == std::vector<std::string>{"close:1006"});
    // Closing: our close went out but no answer came.
    echo_peer<client_role> closing;
    REQUIRE_FALSE(closing.get().send_close(1000));
    closing.transport_closed();
    CHECK(closing.result() == expect({"close:1006"}, {"close:1000"}, closed));
    // Closed: the handshake completed; nothing more to report.
    echo_peer<server_role> done;
    done.feed(wire<server_role>({close_frame(1000)}));
    done.transport_closed();
    CHECK(done.result() == expect({"close:1000"}, {"close:1000"}, closed));
    // After a failure, likewise.
    echo_peer<server_role> failed;
    failed.feed(wire<server_role>({frame(0x4, "")}));
    failed.transport_closed();
    CHECK(failed.result() == expect_failure(1002));
}

TEST_CASE("after the close, sending is an error and input is dropped", "[conformance][autobahn7]") {
    echo_peer<server_role> peer;
    peer.feed(wire<server_role>({close_frame(1000)}));
    auto& s = peer.get();
    CHECK(s.send_text("x") == duplex::error::closed);
    CHECK(s.send_binary("x") == duplex::error::closed);
    CHECK(s.send_ping() == duplex::error::closed);
    CHECK(s.send_pong() == duplex::error::closed);
    CHECK(s.send_close() == duplex::error::closed);
    CHECK(s.send_fragment(message_kind::text, "x", 1, true) == duplex::error::closed);
    const std::size_t capacity = s.buffer_capacity();
    peer.feed(wire<server_role>({frame(op::binary, binary_payload(10000))}));
    CHECK(s.buffer_capacity() == capacity); // dropped, not buffered
    CHECK(peer.result() == expect({"close:1000"}, {"close:1000"}, closed));
}
