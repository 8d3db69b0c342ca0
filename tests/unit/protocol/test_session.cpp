#include <duplex/protocol/session.hpp>

#include "support/catch.hpp"

// The conformance harness's frame builder and independent frame parser.
#include "conformance/harness.hpp"

#include <set>
#include <string>
#include <vector>

using namespace duplex_conformance;
using duplex::error;

namespace {

template <class Role>
std::vector<std::string> written(const session<Role>& s) {
    return describe_written<Role>(s.output());
}

// A session in each of the ways it can stop being open.
template <class Role>
std::vector<std::pair<std::string, session<Role>>> ended_sessions() {
    std::vector<std::pair<std::string, session<Role>>> out;
    session<Role> closing;
    REQUIRE_FALSE(closing.send_close(1000));
    out.emplace_back("after send_close", std::move(closing));
    session<Role> peer_closed;
    peer_closed.feed(wire<Role>({close_frame(1000)}));
    REQUIRE(peer_closed.next_event().type == event::close);
    out.emplace_back("after the peer's close", std::move(peer_closed));
    session<Role> failed;
    failed.feed(wire<Role>({frame(0x3, "")}));
    REQUIRE(failed.next_event().protocol_error);
    out.emplace_back("after a protocol failure", std::move(failed));
    session<Role> lost;
    REQUIRE(lost.transport_closed().code == 1006);
    out.emplace_back("after transport_closed", std::move(lost));
    return out;
}

} // namespace

TEST_CASE("sending after the close is error::closed and writes nothing", "[protocol][session]") {
    for (auto& [name, s] : ended_sessions<server_role>()) {
        INFO(name);
        const std::size_t pending = s.output_size();
        CHECK(s.send_text("x") == error::closed);
        CHECK(s.send_binary("x") == error::closed);
        CHECK(s.send_message(message_kind::binary, "x", 1) == error::closed);
        CHECK(s.send_fragment(message_kind::text, "x", 1, false) == error::closed);
        CHECK(s.send_ping("x") == error::closed);
        CHECK(s.send_pong("x") == error::closed);
        CHECK(s.send_close(1000) == error::closed);
        CHECK(s.output_size() == pending);
        CHECK_FALSE(s.is_open());
    }
    for (auto& [name, c] : ended_sessions<client_role>()) {
        INFO("client " << name);
        CHECK(c.send_text("x") == error::closed);
        CHECK(c.send_ping() == error::closed);
    }
}

TEST_CASE("control payloads over 125 bytes are refused", "[protocol][session]") {
    session<server_role> s;
    CHECK_FALSE(s.send_ping(std::string(125, 'p')));
    CHECK_FALSE(s.send_pong(std::string(125, 'q')));
    CHECK(s.send_ping(std::string(126, 'p')) == error::control_frame_too_large);
    CHECK(s.send_pong(std::string(126, 'q')) == error::control_frame_too_large);
    CHECK(s.send_ping(std::string(70000, 'p')) == error::control_frame_too_large);
    CHECK(written(s) ==
          std::vector<std::string>{"ping:" + show(std::string(125, 'p')), "pong:" + show(std::string(125, 'q'))});
    CHECK(s.is_open());
}

TEST_CASE("send_close checks the code and the reason", "[protocol][session]") {
    for (unsigned code : {1u, 999u, 1004u, 1006u, 1015u, 1016u, 2000u, 2999u, 5000u, 65535u}) {
        INFO("code " << code);
        session<server_role> s;
        CHECK(s.send_close(static_cast<std::uint16_t>(code)) == error::invalid_close_code);
        CHECK(s.output_size() == 0);
        CHECK(s.is_open()); // a refused close does not start the handshake
    }
    for (unsigned code : {1000u, 1001u, 1002u, 1003u, 1007u, 1010u, 1011u, 1014u, 3000u, 4999u}) {
        INFO("code " << code);
        session<client_role> c;
        CHECK_FALSE(c.send_close(static_cast<std::uint16_t>(code), "reason"));
        CHECK(written(c) == std::vector<std::string>{"close:" + std::to_string(code)});
        CHECK(c.state() == session_state::closing);
    }
    // 0 and 1005 mean "no code": an empty close body, which cannot carry a reason.
    for (std::uint16_t none : {std::uint16_t{0}, std::uint16_t{1005}}) {
        session<server_role> s;
        CHECK(s.send_close(none, "why") == error::invalid_close_reason);
        CHECK(s.output_size() == 0);
        CHECK_FALSE(s.send_close(none));
        CHECK(written(s) == std::vector<std::string>{"close"});
    }
    session<server_role> s;
    CHECK(s.send_close(1000, std::string(124, 'r')) == error::invalid_close_reason);
    CHECK(s.send_close(1000, "\xce\xba\xed\xa0\x80") == error::invalid_close_reason);
    CHECK(s.send_close(1000, "cut \xe2\x82") == error::invalid_close_reason);
    CHECK(s.output_size() == 0);
    const std::string reason = std::string(121, 'r') + "\xc2\xb5"; // 123 bytes, multi-byte at the end
    CHECK_FALSE(s.send_close(4000, reason));
    const auto frames = parse_frames(s.output());
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].payload == close_body(4000, reason));
}

TEST_CASE("send_text refuses invalid UTF-8 unless validation is off", "[protocol][session]") {
    session<server_role> s;
    CHECK(s.send_text("\xc3\x28") == error::invalid_utf8);
    CHECK(s.send_text("ends inside a code point \xe2\x82") == error::invalid_utf8);
    CHECK(s.send_message(message_kind::text, "\xed\xa0\x80", 3) == error::invalid_utf8);
    CHECK(s.output_size() == 0);
    CHECK_FALSE(s.send_text("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 \xef\xbf\xbf"));
    CHECK_FALSE(s.send_binary("\xc3\x28")); // binary is not text
    CHECK(written(s) == std::vector<std::string>{text_msg("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 \xef\xbf\xbf"),
                                                 binary_msg("\xc3\x28")});
    session_options trusting;
    trusting.validate_utf8 = false;
    session<server_role> t(trusting);
    CHECK_FALSE(t.send_text("\xc3\x28"));
    CHECK(written(t) == std::vector<std::string>{text_msg("\xc3\x28")});
}

TEST_CASE("send_fragment frames a message; nothing else may start meanwhile", "[protocol][session]") {
    session<server_role> s;
    CHECK_FALSE(s.send_fragment(message_kind::text, "ab", 2, false));
    CHECK(s.send_text("interleaved") == error::message_in_progress);
    CHECK(s.send_binary("interleaved") == error::message_in_progress);
    CHECK(s.send_message(message_kind::text, "x", 1) == error::message_in_progress);
    std::uint8_t header[duplex::frame::max_header_size];
    CHECK(s.write_message_header(message_kind::binary, 10, header) == 0);
    CHECK_FALSE(s.send_ping("control frames may interleave"));
    CHECK_FALSE(s.send_fragment(message_kind::text, "", 0, false));
    CHECK_FALSE(s.send_fragment(message_kind::text, "cd", 2, true));
    CHECK_FALSE(s.send_text("next"));
    CHECK_FALSE(s.send_fragment(message_kind::binary, "whole", 5, true)); // one frame, fin set
    CHECK(written(s) == std::vector<std::string>{"text:ab|more", "ping:control frames may interleave", "cont:|more",
                                                 "cont:cd", "text:next", "binary:whole"});
    // A close may interrupt our fragmented message (control frames interleave).
    session<client_role> c;
    CHECK_FALSE(c.send_fragment(message_kind::binary, "a", 1, false));
    CHECK_FALSE(c.send_close(1001));
    CHECK(c.send_fragment(message_kind::binary, "b", 1, true) == error::closed);
    CHECK(written(c) == std::vector<std::string>{"binary:a|more", "close:1001"});
}

TEST_CASE("a server writes unmasked frames with minimal lengths", "[protocol][session]") {
    for (std::size_t n : {0u, 1u, 125u, 126u, 65535u, 65536u}) {
        INFO("payload " << n);
        session<server_role> s;
        const auto payload = binary_payload(n);
        REQUIRE_FALSE(s.send_binary(payload));
        CHECK(s.output() == encode(frame(op::binary, payload), std::nullopt));
    }
    session<server_role> s;
    REQUIRE_FALSE(s.send_ping("p"));
    REQUIRE_FALSE(s.send_pong("q"));
    REQUIRE_FALSE(s.send_close(1001, "bye"));
    CHECK(s.output() == encode(frame(op::ping, "p"), std::nullopt) + encode(frame(op::pong, "q"), std::nullopt) +
                            encode(close_frame(1001, "bye"), std::nullopt));
}

TEST_CASE("a client masks every frame with a fresh key", "[protocol][session]") {
    session<client_role> c;
    std::vector<std::string> payloads;
    for (int i = 0; i < 100; ++i) {
        payloads.push_back(binary_payload(static_cast<std::size_t>(i * 13), static_cast<unsigned>(i)));
        REQUIRE_FALSE(c.send_binary(payloads.back()));
    }
    REQUIRE_FALSE(c.send_ping("ping"));
    REQUIRE_FALSE(c.send_close(1000));
    const auto frames = parse_frames(c.output());
    REQUIRE(frames.size() == 102);
    std::set<mask_key> keys;
    for (std::size_t i = 0; i < 100; ++i) {
        CHECK(frames[i].masked);
        CHECK(frames[i].payload == payloads[i]); // unmasking gives the payload back
        keys.insert(frames[i].key);
    }
    CHECK(frames[100].masked);
    CHECK(frames[100].payload == "ping");
    CHECK(frames[101].masked);
    CHECK(keys.size() >= 99); // fresh keys; a repeat among 100 is a one-in-a-million event
    // The bytes on the wire are not the payload.
    session<client_role> d;
    REQUIRE_FALSE(d.send_text("a secret that must not appear verbatim"));
    CHECK(d.output().find("secret") == std::string_view::npos);
}

TEST_CASE("write_message_header matches what send_message writes", "[protocol][session]") {
    for (std::size_t n : {0u, 125u, 126u, 65535u, 65536u, 1u << 20}) {
        INFO("payload " << n);
        for (auto kind : {message_kind::text, message_kind::binary}) {
            session<server_role> s;
            const auto payload = text_payload(n);
            std::uint8_t header[duplex::frame::max_header_size];
            const std::size_t size = s.write_message_header(kind, n, header);
            REQUIRE(size > 0);
            CHECK(size == (n < 126 ? 2u : n <= 65535 ? 4u : 10u));
            CHECK(s.output_size() == 0); // the header went to the caller, not the output
            REQUIRE_FALSE(s.send_message(kind, payload.data(), payload.size()));
            CHECK(std::string(reinterpret_cast<const char*>(header), size) + payload == s.output());
        }
    }
    session<server_role> s;
    std::uint8_t header[duplex::frame::max_header_size];
    REQUIRE_FALSE(s.send_close(1000));
    CHECK(s.write_message_header(message_kind::text, 5, header) == 0); // nothing may be sent now
}

TEST_CASE("payload_awaited: what a message kept whole in the buffer still lacks", "[protocol][session]") {
    const std::string payload(100000, 'x');
    SECTION("one uncompressed frame: the rest of it, down to 0 when it is complete") {
        session<server_role> s;
        CHECK(s.payload_awaited() == 0);
        const std::string bytes = wire<server_role>({frame(op::binary, payload)});
        const std::size_t header = bytes.size() - payload.size();
        s.feed(bytes.substr(0, header + 1000));
        CHECK(s.next_event().type == event::none);
        CHECK(s.payload_awaited() == payload.size() - 1000);
        CHECK(s.input_size() == 1000);
        s.feed(bytes.substr(header + 1000, 50000));
        CHECK(s.next_event().type == event::none);
        CHECK(s.payload_awaited() == payload.size() - 51000);
        s.feed(bytes.substr(header + 51000));
        const auto ev = s.next_event();
        CHECK(ev.type == event::message);
        CHECK(ev.data.size() == payload.size());
        CHECK(s.payload_awaited() == 0);
    }
    SECTION("a fragment of a message: consumed as it arrives, so nothing is awaited") {
        session<server_role> s;
        const std::string bytes = wire<server_role>({frame(op::binary, payload, false)});
        s.feed(bytes.substr(0, bytes.size() - payload.size() + 1000));
        CHECK(s.next_event().type == event::none);
        CHECK(s.in_message());
        CHECK(s.payload_awaited() == 0);
    }
    SECTION("a frame header alone: nothing is known to be awaited yet") {
        session<server_role> s;
        const std::string bytes = wire<server_role>({frame(op::binary, payload)});
        s.feed(bytes.substr(0, 3));
        CHECK(s.next_event().type == event::none);
        CHECK(s.payload_awaited() == 0);
    }
}

TEST_CASE("the state follows the closing handshake", "[protocol][session]") {
    session<server_role> s;
    CHECK(s.state() == session_state::open);
    CHECK(s.is_open());
    CHECK(s.input_idle());
    s.feed(wire<server_role>({frame(op::text, "par", false)}));
    CHECK(s.next_event().type == event::none);
    CHECK(s.in_message());
    CHECK_FALSE(s.input_idle());
    s.feed(wire<server_role>({frame(op::continuation, "tial")}));
    CHECK(s.next_event().data == "partial");
    CHECK_FALSE(s.in_message());
    CHECK(s.input_idle());
    REQUIRE_FALSE(s.send_close(1000));
    CHECK(s.state() == session_state::closing);
    CHECK_FALSE(s.is_open());
    s.feed(wire<server_role>({close_frame(1000)}));
    CHECK(s.next_event().type == event::close);
    CHECK(s.state() == session_state::closed);
    CHECK_FALSE(s.should_close_transport()); // our close is still to be written
    s.consume_output(s.output_size());
    CHECK(s.should_close_transport());
    CHECK(s.next_event().type == event::none);
}

TEST_CASE("swap_output hands the pending bytes over without copying", "[protocol][session]") {
    session<server_role> s;
    REQUIRE_FALSE(s.send_text("one"));
    duplex::detail::byte_buffer taken;
    s.swap_output(taken);
    CHECK(s.output_size() == 0);
    CHECK(describe_written<server_role>(std::string_view(reinterpret_cast<const char*>(taken.data()), taken.size())) ==
          std::vector<std::string>{"text:one"});
    // The written buffer comes back and is reused.
    const std::size_t capacity = taken.capacity();
    taken.clear();
    s.swap_output(taken);
    REQUIRE_FALSE(s.send_text("two"));
    CHECK(s.buffer_capacity() >= capacity);
    CHECK(written(s) == std::vector<std::string>{"text:two"});
}

TEST_CASE("release_idle_buffers frees everything an idle session holds", "[protocol][session]") {
    SECTION("after every kind of traffic") {
        session<server_role> s;
        s.feed(wire<server_role>({frame(op::text, text_payload(5000)), frame(op::binary, "a", false),
                                  frame(op::ping, "p"), frame(op::continuation, binary_payload(3000))}));
        int messages = 0;
        while (const auto ev = s.next_event())
            messages += ev.type == event::message;
        CHECK(messages == 2);
        REQUIRE_FALSE(s.send_text(text_payload(4000)));
        CHECK(s.buffer_capacity() > 0);
        s.release_idle_buffers();
        CHECK(s.buffer_capacity() > 0); // output is still pending
        s.consume_output(s.output_size());
        s.release_idle_buffers();
        CHECK(s.buffer_capacity() == 0);
        // And it works as before afterwards.
        s.feed(wire<server_role>({frame(op::text, "again")}));
        CHECK(s.next_event().data == "again");
    }
    SECTION("in streaming mode") {
        session_options o;
        o.streaming = true;
        session<client_role> c(o);
        c.feed(wire<client_role>({frame(op::binary, binary_payload(3000), false), frame(op::continuation, "x")}));
        while (c.next_event()) {
        }
        c.consume_output(c.output_size());
        c.release_idle_buffers();
        CHECK(c.buffer_capacity() == 0);
    }
    SECTION("a half-received message survives the release") {
        session<server_role> s;
        const auto bytes_in = wire<server_role>(
            {frame(op::text, "first half ", false), frame(op::ping, ""), frame(op::continuation, "second half")});
        const std::size_t cut = bytes_in.size() - 5;
        s.feed(bytes_in.substr(0, cut));
        CHECK(s.next_event().type == event::ping);
        CHECK(s.next_event().type == event::none);
        s.consume_output(s.output_size());
        s.release_idle_buffers();
        CHECK(s.buffer_capacity() > 0);
        s.feed(bytes_in.substr(cut));
        CHECK(s.next_event().data == "first half second half");
    }
}

TEST_CASE("steady echo of small messages does not grow the buffers", "[protocol][session]") {
    // A proxy for "no allocation per message on the hot echo path" (design.md).
    const auto run = [](auto& s, const std::string& bytes_in, message_kind kind) {
        std::size_t warm = 0;
        for (int i = 0; i < 5000; ++i) {
            s.feed(bytes_in);
            const auto ev = s.next_event();
            REQUIRE(ev.type == event::message);
            REQUIRE(ev.kind == kind);
            REQUIRE_FALSE(s.send_message(ev.kind, ev.data.data(), ev.data.size()));
            REQUIRE(s.next_event().type == event::none);
            s.consume_output(s.output_size());
            if (i == 100) warm = s.buffer_capacity();
        }
        CHECK(warm > 0);
        CHECK(s.buffer_capacity() == warm);
        CHECK(s.input_idle());
    };
    session<server_role> s;
    run(s, wire<server_role>({frame(op::binary, binary_payload(20))}), message_kind::binary);
    session<server_role> t;
    run(t, wire<server_role>({frame(op::text, text_payload(20))}), message_kind::text);
    session<client_role> c;
    run(c, wire<client_role>({frame(op::text, text_payload(20))}), message_kind::text);
    // Several messages per read, and output taken with swap_output.
    session<server_role> batch;
    const auto four = wire<server_role>({frame(op::binary, binary_payload(20)), frame(op::binary, binary_payload(20)),
                                         frame(op::binary, binary_payload(20)), frame(op::binary, binary_payload(20))});
    duplex::detail::byte_buffer spare;
    std::size_t warm = 0;
    for (int i = 0; i < 2000; ++i) {
        batch.feed(four);
        while (const auto ev = batch.next_event())
            REQUIRE_FALSE(batch.send_message(ev.kind, ev.data.data(), ev.data.size()));
        batch.swap_output(spare);
        REQUIRE(spare.size() == 4 * 22);
        spare.clear();
        if (i == 100) warm = batch.buffer_capacity() + spare.capacity();
    }
    CHECK(batch.buffer_capacity() + spare.capacity() == warm);
}

TEST_CASE("a session can be moved mid-message", "[protocol][session]") {
    session<server_role> a;
    const auto bytes_in = wire<server_role>({frame(op::binary, "abc", false), frame(op::continuation, "def")});
    a.feed(bytes_in.substr(0, 12));
    CHECK(a.next_event().type == event::none);
    session<server_role> b(std::move(a));
    b.feed(bytes_in.substr(12));
    CHECK(b.next_event().data == "abcdef");
    session<server_role> c;
    c = std::move(b);
    REQUIRE_FALSE(c.send_text("still works"));
    CHECK(written(c) == std::vector<std::string>{"text:still works"});
}

TEST_CASE("options can be read and changed", "[protocol][session]") {
    session_options o;
    o.max_message_size = 10;
    session<server_role> s(o);
    CHECK(s.options().max_message_size == 10);
    s.feed(wire<server_role>({frame(op::binary, "0123456789")}));
    CHECK(s.next_event().type == event::message);
    s.options().max_message_size = 5;
    s.feed(wire<server_role>({frame(op::binary, "0123456789")}));
    CHECK(describe(s.next_event()) == "fail:1009");
}

TEST_CASE("duplex errors are error codes of the duplex category", "[protocol][session]") {
    const std::error_code ec = error::closed;
    CHECK(ec.category().name() == std::string("duplex"));
    CHECK(ec.message() == "connection closed");
    CHECK(std::error_code(error::message_in_progress).message() == "a fragmented message is in progress");
    CHECK_FALSE(std::error_code(error::success));
    CHECK(ec != std::error_code(error::invalid_utf8));
}
