#include <duplex/protocol/session.hpp>

#include "support/catch.hpp"
#include "support/wire.hpp"

#include <duplex/frame/mask.hpp>

#include <string>

using namespace duplex;
using duplex::protocol::event;
using duplex::protocol::message_kind;
using duplex::protocol::session;

TEST_CASE("local misuse is an error, not a close", "[protocol][session]") {
    session<server_role> s;
    CHECK(s.send_ping(std::string(126, 'x')) == error::control_frame_too_large);
    CHECK(s.send_close(1005, "reason with no code") == error::invalid_close_reason);
    CHECK(s.send_close(1006) == error::invalid_close_code);
    CHECK(s.send_close(999) == error::invalid_close_code);
    CHECK(s.send_close(1000, std::string(124, 'r')) == error::invalid_close_reason);
    CHECK(s.send_close(1000, "\xff") == error::invalid_close_reason);
    CHECK(s.send_text("\xc3\x28") == error::invalid_utf8);
    CHECK_FALSE(s.send_fragment(message_kind::binary, "ab", 2, false));
    CHECK(s.send_text("interleaved") == error::message_in_progress);
    CHECK_FALSE(s.send_ping("control frames may interleave"));
    CHECK_FALSE(s.send_fragment(message_kind::binary, "cd", 2, true));
    CHECK(s.is_open());
    CHECK(s.output_size() > 0);
    CHECK_FALSE(s.send_close(1000, "bye"));
    CHECK(s.send_text("after close") == error::closed);
    CHECK(s.send_ping() == error::closed);
    CHECK(s.send_close() == error::closed);
}

TEST_CASE("a server writes unmasked frames and can gather headers", "[protocol][session]") {
    session<server_role> s;
    s.send_binary("abc");
    CHECK(s.output() == duplex_test::server_frame(0x2, "abc"));
    std::uint8_t header[frame::max_header_size];
    CHECK(s.write_message_header(message_kind::text, 70000, header) == 4 + 6);
    CHECK(header[0] == 0x81);
    CHECK(header[1] == 127);
}

TEST_CASE("a client masks its frames", "[protocol][session]") {
    session<client_role> c;
    c.send_binary("payload");
    const std::string out(c.output());
    REQUIRE(out.size() == 2 + 4 + 7);
    std::string payload = out.substr(6);
    std::array<std::uint8_t, 4> key;
    for (std::size_t i = 0; i < 4; ++i)
        key[i] = static_cast<std::uint8_t>(out[2 + i]);
    frame::apply_mask(reinterpret_cast<std::uint8_t*>(payload.data()), payload.size(), key);
    CHECK(payload == "payload");
}

TEST_CASE("idle sessions hold no buffers and steady echo does not grow them", "[protocol][session]") {
    session<server_role> s;
    const auto frame = duplex_test::client_frame(0x2, std::string(20, 'x'));
    std::size_t capacity_after_warmup = 0;
    for (int i = 0; i < 2000; ++i) {
        s.feed(frame);
        const auto ev = s.next_event();
        REQUIRE(ev.type == event::message);
        s.send_binary(ev.data);
        s.consume_output(s.output_size());
        if (i == 10) capacity_after_warmup = s.buffer_capacity();
    }
    CHECK(s.buffer_capacity() == capacity_after_warmup);
    s.release_idle_buffers();
    CHECK(s.buffer_capacity() == 0);
    CHECK(s.input_idle());
}

namespace {
// A test extension: claims RSV1 and reverses the bytes of each message.
class reversing_extension final : public protocol::extension {
public:
    std::uint8_t rsv_bits() const noexcept override { return 0x40; }
    decode_status decode(const std::uint8_t* data, std::size_t size, bool fin, std::size_t limit,
                         protocol::byte_sink& out) override {
        pending_.append(reinterpret_cast<const char*>(data), size);
        if (pending_.size() > limit) return decode_status::too_big;
        if (fin) {
            std::string reversed(pending_.rbegin(), pending_.rend());
            out.write(reinterpret_cast<const std::uint8_t*>(reversed.data()), reversed.size());
            pending_.clear();
        }
        return decode_status::ok;
    }
    std::uint8_t encode(const std::uint8_t* data, std::size_t size, std::string& out) override {
        const std::string plain(reinterpret_cast<const char*>(data), size);
        out.assign(plain.rbegin(), plain.rend());
        return 0x40;
    }

private:
    std::string pending_;
};
} // namespace

TEST_CASE("the extension hook sees RSV1 messages in both directions", "[protocol][extension]") {
    reversing_extension ext;
    session<server_role> s;
    s.set_extension(&ext);
    s.feed(duplex_test::client_frame(0x1, "cba", false, 0x40) + duplex_test::client_frame(0x0, "fed"));
    auto ev = s.next_event();
    REQUIRE(ev.type == event::message);
    CHECK(ev.data == "defabc");
    s.feed(duplex_test::client_frame(0x1, "plain")); // RSV1 clear: not through the extension
    CHECK(s.next_event().data == "plain");
    s.send_text("hello");
    CHECK(s.output() == duplex_test::server_frame(0x1, "olleh", true, 0x40));
    SECTION("RSV1 on a continuation frame is a protocol error") {
        s.feed(duplex_test::client_frame(0x1, "a", false, 0x40) + duplex_test::client_frame(0x0, "b", true, 0x40));
        CHECK(s.next_event().code == 1002);
    }
    SECTION("the size limit applies to decoded bytes") {
        s.options().max_message_size = 4;
        s.feed(duplex_test::client_frame(0x2, "12345", true, 0x40));
        CHECK(s.next_event().code == 1009);
    }
    SECTION("RSV1 without an extension is a protocol error") {
        session<server_role> plain;
        plain.feed(duplex_test::client_frame(0x1, "x", true, 0x40));
        CHECK(plain.next_event().code == 1002);
    }
}
