#include <duplex/protocol/extension.hpp>

#include <duplex/protocol/session.hpp>

#include "support/catch.hpp"

#include "conformance/harness.hpp"

#include <string>
#include <vector>

using namespace duplex_conformance;

namespace {

// A test extension in the role of permessage-deflate: claims RSV1, "encodes"
// by XOR-ing every byte with 0x5A and "decodes" by undoing it and writing every
// byte twice, so decoded messages are larger than on the wire (like inflation).
// A wire byte 0xEE is its "corrupt data" (decode_status::error).
class doubling_extension final : public duplex::protocol::extension {
public:
    std::uint8_t rsv_bits() const noexcept override { return rsv1; }

    decode_status decode(const std::uint8_t* data, std::size_t size, bool fin, std::size_t limit,
                         duplex::protocol::byte_sink& out) override {
        ++decode_calls;
        for (std::size_t i = 0; i < size; ++i) {
            if (data[i] == 0xEE) return decode_status::error;
            decoded_ += 2;
            if (decoded_ > limit) return decode_status::too_big;
            const std::uint8_t plain = static_cast<std::uint8_t>(data[i] ^ 0x5A);
            const std::uint8_t twice[2] = {plain, plain};
            out.write(twice, 2);
        }
        if (fin) {
            ++messages_decoded;
            decoded_ = 0;
        }
        return decode_status::ok;
    }

    std::uint8_t encode(const std::uint8_t* data, std::size_t size, std::string& out) override {
        ++encode_calls;
        if (size == 0) return 0; // nothing to gain: sent as is
        for (std::size_t i = 0; i < size; ++i)
            out += static_cast<char>(data[i] ^ 0x5A);
        return rsv1;
    }

    static std::string wire_form(std::string_view plain) { // what encode() makes of `plain`
        std::string s;
        for (char c : plain)
            s += static_cast<char>(c ^ 0x5A);
        return s;
    }
    static std::string decoded_form(std::string_view plain) { // what decode() makes of wire_form(plain)
        std::string s;
        for (char c : plain)
            s += std::string(2, c);
        return s;
    }

    int decode_calls = 0;
    int encode_calls = 0;
    int messages_decoded = 0;

private:
    std::size_t decoded_ = 0;
};

template <class Role>
outcome run_with(doubling_extension& ext, const std::vector<frame_spec>& frames, std::size_t read = 0,
                 session_options options = {}) {
    echo_peer<Role> peer(options);
    peer.set_extension(&ext, rsv1);
    const auto bytes_in = wire<Role>(frames);
    if (read == 0) read = bytes_in.size();
    for (std::size_t pos = 0; pos < bytes_in.size(); pos += read)
        peer.feed(std::string_view(bytes_in).substr(pos, read));
    return peer.result();
}

// Outcomes must not depend on how the input is cut.
template <class Role>
void expect_with(const std::vector<frame_spec>& frames, const outcome& expected, session_options options = {}) {
    for (std::size_t read : {0u, 1u, 3u, 64u}) {
        INFO("reads of " << read << " (0: whole)");
        doubling_extension ext;
        check_outcome(run_with<Role>(ext, frames, read, options), expected);
    }
}

} // namespace

TEST_CASE("RSV1 messages go through decode(), others do not", "[protocol][extension]") {
    const auto hello = doubling_extension::wire_form("hello");
    const auto decoded = doubling_extension::decoded_form("hello"); // "hheelllloo"
    // Received decoded, echoed encoded (RSV1 on the echo's single frame).
    const auto echoed = "text:" + show(doubling_extension::wire_form(decoded)) + "|rsv1";
    expect_with<server_role>({frame(op::text, hello, true, rsv1)}, expect({text_msg(decoded)}, {echoed}));
    expect_with<client_role>({frame(op::text, hello, true, rsv1)}, expect({text_msg(decoded)}, {echoed}));
    // Fragmented with a ping between: RSV1 on the first frame only.
    expect_with<server_role>({frame(op::binary, hello.substr(0, 2), false, rsv1), frame(op::ping, "p"),
                              frame(op::continuation, hello.substr(2))},
                             expect({"ping:p", binary_msg(decoded)},
                                    {"pong:p", "binary:" + show(doubling_extension::wire_form(decoded)) + "|rsv1"}));
    // Without RSV1 the payload is delivered as it came.
    doubling_extension ext;
    const auto got = run_with<server_role>(
        ext, {frame(op::binary, "plain"), frame(op::text, "", false), frame(op::continuation, "x")});
    CHECK(got.events == std::vector<std::string>{"binary:plain", "text:x"});
    CHECK(ext.decode_calls == 0);
    CHECK(ext.messages_decoded == 0);
    // Empty compressed message: decode() is still told it ended.
    doubling_extension empty;
    CHECK(run_with<server_role>(empty, {frame(op::binary, "", true, rsv1)}).events ==
          std::vector<std::string>{"binary:"});
    CHECK(empty.messages_decoded == 1);
}

TEST_CASE("the message size limit applies to decoded bytes: too_big -> 1009", "[protocol][extension]") {
    session_options o;
    o.max_message_size = 100;
    // 50 bytes on the wire decode to 100: allowed; 51 decode to 102: too big,
    // although the wire size is far under the limit.
    const auto fifty = text_payload(50);
    expect_with<server_role>(
        {frame(op::binary, doubling_extension::wire_form(fifty), true, rsv1)},
        expect({binary_msg(doubling_extension::decoded_form(fifty))},
               {"binary:" + show(doubling_extension::wire_form(doubling_extension::decoded_form(fifty))) + "|rsv1"}),
        o);
    expect_with<server_role>({frame(op::binary, doubling_extension::wire_form(text_payload(51)), true, rsv1)},
                             expect_failure(1009), o);
    expect_with<client_role>({frame(op::text, doubling_extension::wire_form(text_payload(30)), false, rsv1),
                              frame(op::continuation, doubling_extension::wire_form(text_payload(30)))},
                             expect_failure(1009), o);
    // Streaming: the same limit across parts.
    o.streaming = true;
    doubling_extension ext;
    echo_peer<server_role> peer(o, false);
    peer.set_extension(&ext, rsv1);
    peer.feed(wire<server_role>({frame(op::binary, doubling_extension::wire_form(text_payload(40)), false, rsv1)}));
    CHECK(peer.take_events().size() == 1);
    peer.feed(wire<server_role>({frame(op::continuation, doubling_extension::wire_form(text_payload(11)))}));
    CHECK(peer.take_events() == std::vector<std::string>{"fail:1009"});
    CHECK(peer.take_written() == std::vector<std::string>{"close:1009"});
}

TEST_CASE("decode errors and invalid decoded text fail the connection", "[protocol][extension]") {
    expect_with<server_role>({frame(op::binary, std::string("ab\xee", 3), true, rsv1)}, expect_failure(1007));
    // The wire bytes are not UTF-8 checked, the decoded text is: 0xFF ^ 0x5A
    // decodes to 0xA5, a lone continuation byte.
    expect_with<server_role>({frame(op::text, "\xff", true, rsv1)}, expect_failure(1007));
    // Valid decoded text is delivered.
    doubling_extension ext;
    echo_peer<server_role> peer;
    peer.set_extension(&ext, rsv1);
    peer.feed(wire<server_role>({frame(op::text, doubling_extension::wire_form("AB"), true, rsv1)}));
    CHECK(peer.take_events() == std::vector<std::string>{"text:AABB"});
}

TEST_CASE("send_message goes through encode(); RSV1 only where it applies", "[protocol][extension]") {
    doubling_extension ext;
    session<client_role> c;
    c.set_extension(&ext);
    CHECK(c.get_extension() == &ext);
    REQUIRE_FALSE(c.send_text("hello"));
    REQUIRE_FALSE(c.send_binary(std::string_view("raw"), false));         // compress = false: as is
    REQUIRE_FALSE(c.send_binary(""));                                     // encode() declines: sent as is, without RSV1
    REQUIRE_FALSE(c.send_ping("ping"));                                   // control frames never
    REQUIRE_FALSE(c.send_fragment(message_kind::text, "frag", 4, false)); // fragments are not encoded
    REQUIRE_FALSE(c.send_fragment(message_kind::text, "ment", 4, true));
    REQUIRE_FALSE(c.send_close(1000));
    CHECK(describe_written<client_role>(c.output(), rsv1) ==
          std::vector<std::string>{"text:" + show(doubling_extension::wire_form("hello")) + "|rsv1", "binary:raw",
                                   "binary:", "ping:ping", "text:frag|more", "cont:ment", "close:1000"});
    CHECK(ext.encode_calls == 2);
    // A server too; invalid text is refused before encode() sees it.
    doubling_extension server_ext;
    session<server_role> s;
    s.set_extension(&server_ext);
    CHECK(s.send_text("\xff") == duplex::error::invalid_utf8);
    CHECK(server_ext.encode_calls == 0);
    REQUIRE_FALSE(s.send_binary("xyz"));
    CHECK(s.output() == encode(frame(op::binary, doubling_extension::wire_form("xyz"), true, rsv1), std::nullopt));
}

TEST_CASE("RSV bits the extension does not own fail with 1002", "[protocol][extension]") {
    // RSV1 on a continuation frame (RFC 7692 6: only the first frame carries it).
    expect_with<server_role>({frame(op::text, "a", false, rsv1), frame(op::continuation, "b", true, rsv1)},
                             expect_failure(1002));
    expect_with<client_role>({frame(op::text, "a", false), frame(op::continuation, "b", true, rsv1)},
                             expect_failure(1002));
    // RSV2/RSV3, which this extension does not claim.
    expect_with<server_role>({frame(op::text, "a", true, rsv2)}, expect_failure(1002));
    expect_with<server_role>({frame(op::text, "a", true, rsv1 | rsv3)}, expect_failure(1002));
    // RSV1 on control frames.
    expect_with<server_role>({frame(op::ping, "a", true, rsv1)}, expect_failure(1002));
    expect_with<server_role>({frame(op::close, close_body(1000), true, rsv1)}, expect_failure(1002));
    // RSV1 when no extension was negotiated.
    expect_every_chunking<server_role>(wire<server_role>({frame(op::text, "x", true, rsv1)}), expect_failure(1002));
    expect_every_chunking<client_role>(wire<client_role>({frame(op::binary, "x", true, rsv1)}), expect_failure(1002));
}

TEST_CASE("an extension may decline some RSV combinations", "[protocol][extension]") {
    // claims_message() decides per message; an unclaimed RSV1 message is a protocol error.
    class picky final : public duplex::protocol::extension {
    public:
        std::uint8_t rsv_bits() const noexcept override { return rsv1 | rsv2; }
        bool claims_message(std::uint8_t rsv) const noexcept override { return rsv == rsv1; }
        decode_status decode(const std::uint8_t* data, std::size_t size, bool, std::size_t,
                             duplex::protocol::byte_sink& out) override {
            out.write(data, size);
            return decode_status::ok;
        }
        std::uint8_t encode(const std::uint8_t*, std::size_t, std::string&) override { return 0; }
    } ext;
    for (std::uint8_t rsv : {rsv1, rsv2, static_cast<std::uint8_t>(rsv1 | rsv2)}) {
        echo_peer<server_role> peer;
        peer.set_extension(&ext, 0);
        peer.feed(wire<server_role>({frame(op::binary, "data", true, rsv)}));
        CHECK(peer.result() == (rsv == rsv1 ? expect({"binary:data"}, {"binary:data"}) : expect_failure(1002)));
    }
}

TEST_CASE("streaming with an extension: decoded parts, idle buffers released", "[protocol][extension]") {
    session_options o;
    o.streaming = true;
    doubling_extension ext;
    session<server_role> s(o);
    s.set_extension(&ext);
    const auto plain = text_payload(3000);
    std::vector<frame_spec> frames = fragments(op::text, doubling_extension::wire_form(plain), 700);
    frames[0].rsv = rsv1;
    const auto with_rsv = wire<server_role>(frames);
    std::string joined;
    int parts = 0;
    for (std::size_t pos = 0; pos < with_rsv.size(); pos += 500) {
        s.feed(std::string_view(with_rsv).substr(pos, 500));
        while (const auto ev = s.next_event()) {
            REQUIRE(ev.type == event::message_part);
            joined += ev.data;
            ++parts;
        }
    }
    CHECK(joined == doubling_extension::decoded_form(plain));
    CHECK(parts > 3);
    s.release_idle_buffers();
    CHECK(s.buffer_capacity() == 0);
}
