// Limits (RFC 6455 10.4: an endpoint may cap frame and message sizes and close
// with 1009), streaming delivery, and what only a client session does.
#include <duplex/protocol/session.hpp>

#include "support/catch.hpp"

#include "harness.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace duplex_conformance;

namespace {

session_options small_limits() {
    session_options o;
    o.max_message_size = 1000;
    o.max_frame_size = 600;
    o.max_fragments = 4;
    return o;
}

} // namespace

TEST_CASE("max_frame_size: a longer frame fails with 1009 at its header", "[conformance][limits]") {
    const auto o = small_limits();
    const auto ok = binary_payload(600);
    expect_both_roles({frame(op::binary, ok)}, expect({binary_msg(ok)}, {binary_msg(ok)}), o);
    expect_both_roles({frame(op::binary, binary_payload(601))}, expect_failure(1009), o);
    expect_both_roles({frame(op::text, "a", false), frame(op::continuation, text_payload(601))}, expect_failure(1009),
                      o);
    // Decided by the header alone: no payload byte needs to arrive.
    auto header_only = frame(op::binary, "");
    header_only.declared_length = 601;
    expect_every_chunking<server_role>(wire<server_role>({header_only}), expect_failure(1009), o);
    // The defaults (16 MiB) apply the same way.
    auto huge = frame(op::binary, "");
    huge.declared_length = (16u << 20) + 1;
    session<server_role> s;
    s.feed(wire<server_role>({huge}));
    CHECK(describe(s.next_event()) == "fail:1009");
    CHECK(s.buffer_capacity() < 4096);
}

TEST_CASE("max_message_size: a message growing past it fails with 1009", "[conformance][limits]") {
    const auto o = small_limits();
    // Exactly at the limit in fragments, and twice in a row: each message counts afresh.
    const auto at_limit = fragments(op::binary, binary_payload(1000), 500);
    auto twice = at_limit;
    twice.insert(twice.end(), at_limit.begin(), at_limit.end());
    expect_both_roles(twice,
                      expect({binary_msg(binary_payload(1000)), binary_msg(binary_payload(1000))},
                             {binary_msg(binary_payload(1000)), binary_msg(binary_payload(1000))}),
                      o);
    // One byte more fails at the header of the fragment that crosses the limit.
    const auto over = fragments(op::text, text_payload(1001), 500);
    REQUIRE(over.size() == 3);
    expect_both_roles(over, expect_failure(1009), o);
    auto crossing = frame(op::continuation, "");
    crossing.declared_length = 501;
    expect_every_chunking<server_role>(wire<server_role>({frame(op::text, text_payload(500), false), crossing}),
                                       expect_failure(1009), o);
    // A single frame under max_frame_size but over max_message_size.
    session_options tight;
    tight.max_message_size = 100;
    expect_both_roles({frame(op::binary, binary_payload(100))},
                      expect({binary_msg(binary_payload(100))}, {binary_msg(binary_payload(100))}), tight);
    expect_both_roles({frame(op::binary, binary_payload(101))}, expect_failure(1009), tight);
    // Control frames between fragments do not count.
    std::vector<frame_spec> with_pings;
    for (const auto& f : at_limit) {
        with_pings.push_back(frame(op::ping, text_payload(125)));
        with_pings.push_back(f);
    }
    expect_both_roles(
        with_pings,
        expect(
            {"ping:" + show(text_payload(125)), "ping:" + show(text_payload(125)), binary_msg(binary_payload(1000))},
            {"pong:" + show(text_payload(125)), "pong:" + show(text_payload(125)), binary_msg(binary_payload(1000))}),
        o);
}

TEST_CASE("max_fragments: a fragment flood fails with 1009", "[conformance][limits]") {
    const auto o = small_limits();
    expect_both_roles(fragments(op::binary, "abcd", 1), expect({"binary:abcd"}, {"binary:abcd"}), o);
    expect_both_roles(fragments(op::binary, "abcde", 1), expect_failure(1009), o);
    // Empty fragments count too: they cost a header each and carry nothing.
    std::vector<frame_spec> empties = {frame(op::text, "", false)};
    for (int i = 0; i < 10; ++i)
        empties.push_back(frame(op::continuation, "", false));
    expect_both_roles(empties, expect_failure(1009), o);
    // The default allows 4096 fragments per message.
    const auto many = fragments(op::binary, binary_payload(4097), 1);
    std::vector<frame_spec> at_default(many.begin(), many.end() - 2);
    at_default.push_back(frame(op::continuation, many[many.size() - 2].payload + many.back().payload));
    REQUIRE(at_default.size() == 4096);
    check_outcome(run_cut<server_role>(wire<server_role>(at_default), {}),
                  expect({binary_msg(binary_payload(4097))}, {binary_msg(binary_payload(4097))}));
    check_outcome(run_cut<server_role>(wire<server_role>(many), {}), expect_failure(1009));
}

TEST_CASE("a 64-bit length with the top bit set fails without allocating", "[conformance][limits]") {
    // RFC 6455 5.2: "the most significant bit MUST be 0". The session treats it
    // as a length no limit admits.
    for (std::uint64_t length : {std::uint64_t{1} << 63, ~std::uint64_t{0}, (std::uint64_t{1} << 63) + 5}) {
        auto f = frame(op::binary, "");
        f.declared_length = length;
        f.form = length_form::extended64;
        expect_both_roles({f}, expect_failure(1009));
        expect_both_roles({frame(op::text, "ok"), f}, expect_failure(1009, {"text:ok"}, {"text:ok"}));
    }
    // Not top bit, but far beyond any limit: the same, decided at the header.
    auto f = frame(op::binary, "");
    f.declared_length = (std::uint64_t{1} << 63) - 1;
    expect_both_roles({f}, expect_failure(1009));
    session<server_role> s;
    s.feed(wire<server_role>({f}) + std::string(100, 'x'));
    CHECK(describe(s.next_event()) == "fail:1009");
    CHECK(s.buffer_capacity() < 4096);
}

TEST_CASE("a slow large frame is buffered only up to its own size", "[conformance][limits]") {
    const auto o = small_limits();
    const auto payload = binary_payload(600);
    echo_peer<server_role> peer(o);
    const auto bytes_in = wire<server_role>({frame(op::binary, payload)});
    std::size_t peak = 0;
    for (char c : bytes_in) {
        peer.feed(std::string(1, c));
        peak = std::max(peak, peer.get().buffer_capacity());
    }
    CHECK(peer.result() == expect({binary_msg(payload)}, {binary_msg(payload)}));
    CHECK(peak <= 4 * 1024);
}

namespace {

// Streaming mode: parts arrive as frames do. Collects the raw parts of each
// message and the echoed fragments (send_fragment per part).
struct streamed {
    std::vector<std::string> messages; ///< concatenated parts, prefixed "text:"/"binary:"
    std::vector<std::size_t> parts;    ///< parts per message
    std::vector<std::string> other;    ///< every other event
    std::vector<std::string> echoed;   ///< echoed fragments reassembled, "text:"/"binary:"
    std::size_t peak_capacity = 0;
};

template <class Role>
streamed stream(std::string_view bytes_in, std::size_t read, session_options o) {
    o.streaming = true;
    session<Role> s(o);
    streamed out;
    std::string current;
    std::size_t parts = 0;
    for (std::size_t pos = 0; pos < bytes_in.size(); pos += read) {
        s.feed(bytes_in.substr(pos, read));
        while (const auto ev = s.next_event()) {
            if (ev.type != event::message_part) {
                out.other.push_back(describe(ev));
                continue;
            }
            current += ev.data;
            ++parts;
            REQUIRE_FALSE(s.send_fragment(ev.kind, ev.data.data(), ev.data.size(), ev.fin));
            if (ev.fin) {
                out.messages.push_back((ev.is_text() ? "text:" : "binary:") + current);
                out.parts.push_back(parts);
                current.clear();
                parts = 0;
            }
        }
        out.peak_capacity = std::max(out.peak_capacity, s.buffer_capacity());
    }
    // Reassemble what was echoed, checking the writer's rules on the way.
    std::string written(s.output());
    describe_written<Role>(written);
    std::string message;
    std::string kind;
    for (const auto& f : parse_frames(written)) {
        if (f.opcode == op::text || f.opcode == op::binary) {
            kind = f.opcode == op::text ? "text:" : "binary:";
            message.clear();
        }
        if (f.opcode > op::binary) continue;
        message += f.payload;
        if (f.fin) out.echoed.push_back(kind + message);
    }
    return out;
}

} // namespace

TEST_CASE("streaming: parts concatenate to the message, in any chunking", "[conformance][streaming]") {
    std::string t;
    while (t.size() < 300000)
        t += "streamed \xe2\x9c\x93 text ";
    const auto b = binary_payload(200000);
    std::vector<frame_spec> frames = fragments(op::text, t, 70000);
    frames.push_back(frame(op::ping, "mid"));
    frames.push_back(frame(op::binary, b));
    frames.push_back(frame(op::text, "", false));
    frames.push_back(frame(op::continuation, ""));
    session_options o;
    for (std::size_t read : {7u, 1300u, 65536u, 1u << 30}) {
        INFO("reads of " << read);
        const auto got = stream<server_role>(wire<server_role>(frames), read, o);
        REQUIRE(got.messages.size() == 3);
        CHECK(got.messages[0] == "text:" + t);
        CHECK(got.messages[1] == "binary:" + b);
        CHECK(got.messages[2] == "text:");
        CHECK(got.other == std::vector<std::string>{"ping:mid"});
        CHECK(got.echoed == got.messages);
        // Delivered as it arrives: many parts, and never the whole message buffered.
        if (read < 70000) CHECK(got.parts[0] > 1);
        CHECK(got.peak_capacity < 4 * t.size()); // output holds the echo; input stays small
        const auto client = stream<client_role>(wire<client_role>(frames), read, o);
        CHECK(client.messages == got.messages);
        CHECK(client.echoed == got.messages);
    }
}

TEST_CASE("streaming: input buffering stays at the read size", "[conformance][streaming]") {
    session_options o;
    o.streaming = true;
    const auto b = binary_payload(4u << 20);
    const auto bytes_in = wire<server_role>({frame(op::binary, b)});
    session<server_role> s(o);
    std::size_t total = 0;
    std::size_t peak = 0;
    for (std::size_t pos = 0; pos < bytes_in.size(); pos += 16384) {
        s.feed(std::string_view(bytes_in).substr(pos, 16384));
        while (const auto ev = s.next_event()) {
            REQUIRE(ev.type == event::message_part);
            CHECK(std::string_view(b).substr(total, ev.data.size()) == ev.data);
            total += ev.data.size();
        }
        peak = std::max(peak, s.buffer_capacity());
    }
    CHECK(total == b.size());
    CHECK(peak <= 64 * 1024);
}

TEST_CASE("streaming: invalid UTF-8 fails fast, and limits still apply", "[conformance][streaming]") {
    session_options o;
    o.streaming = true;
    // The valid first fragment is delivered as a part; the bad second fails at once.
    echo_peer<server_role> peer(o, false);
    peer.feed(wire<server_role>({frame(op::text, "good start ", false)}));
    CHECK(peer.take_events() == std::vector<std::string>{"text-part:good start "});
    peer.feed(wire<server_role>({frame(op::continuation, "bad \xed\xa0\x80 middle", false)}));
    CHECK(peer.take_events() == std::vector<std::string>{"fail:1007"});
    CHECK(peer.take_written() == std::vector<std::string>{"close:1007"});
    peer.feed(wire<server_role>({frame(op::continuation, "end")}));
    CHECK(peer.take_events().empty());
    // Within one frame, byte by byte: no part ever holds the invalid byte.
    echo_peer<client_role> bytes(o, false);
    const auto bytes_in = wire<client_role>({frame(op::text, "abc\xf4\x90\x80\x80xyz")});
    std::string delivered;
    for (char c : bytes_in) {
        bytes.feed(std::string(1, c));
        for (const auto& e : bytes.take_events())
            delivered += e + ";";
    }
    CHECK(delivered == "text-part:a;text-part:b;text-part:c;text-part:\\xf4;fail:1007;");
    // A truncated code point at the end of the message: the part was delivered
    // (it could still have been completed), the end fails.
    const std::vector<frame_spec> truncated = {frame(op::text, "\xe2\x82", false), frame(op::continuation, "")};
    const auto failed =
        expect({"text-part:\\xe2\\x82", "fail:1007"}, {"text:\\xe2\\x82|more", "close:1007"}, session_state::closed);
    check_outcome(run_cut<server_role>(wire<server_role>(truncated), {}, o), failed);
    check_outcome(run_cut<client_role>(wire<client_role>(truncated), {}, o), failed);
    // max_message_size bounds the whole message, not each part.
    o.max_message_size = 1000;
    echo_peer<server_role> limited(o, false);
    limited.feed(wire<server_role>({frame(op::binary, binary_payload(600), false)}));
    limited.feed(wire<server_role>({frame(op::continuation, binary_payload(401))}));
    const auto events = limited.take_events();
    REQUIRE_FALSE(events.empty());
    CHECK(events.back() == "fail:1009");
}

TEST_CASE("client role: server frames must be unmasked, client frames are masked", "[conformance][client]") {
    // Symmetric cases run through both roles everywhere; these are the client's own.
    expect_every_chunking<client_role>(encode(frame(op::text, "masked"), mask_key{1, 2, 3, 4}), expect_failure(1002));
    expect_every_chunking<client_role>(wire<client_role>({frame(op::text, "ok")}) +
                                           encode(frame(op::ping, ""), mask_key{9, 9, 9, 9}),
                                       expect_failure(1002, {"text:ok"}, {"text:ok"}));
    // Every frame the client writes carries a fresh key (checked by describe_written).
    echo_peer<client_role> peer;
    std::vector<frame_spec> frames;
    std::vector<std::string> expected;
    for (int i = 0; i < 200; ++i) {
        frames.push_back(frame(op::text, "same payload"));
        expected.push_back("text:same payload");
    }
    peer.feed(wire<client_role>(frames));
    CHECK(peer.result() == expect(expected, expected));
    // Identical payloads do not give identical frames.
    const std::string out = peer.written_bytes();
    const std::size_t frame_size = out.size() / 200;
    std::vector<std::string> distinct;
    for (std::size_t i = 0; i < 200; ++i)
        distinct.push_back(out.substr(i * frame_size, frame_size));
    std::sort(distinct.begin(), distinct.end());
    CHECK(std::unique(distinct.begin(), distinct.end()) - distinct.begin() > 190);
}
