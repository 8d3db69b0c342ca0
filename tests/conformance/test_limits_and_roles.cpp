// Autobahn 9.x/10.x scaled to a unit-test budget, every limit with its close
// code, streaming mode, and the client role.
#include "harness.hpp"

#include <string>
#include <vector>

using namespace duplex_test;
using duplex::protocol::session_options;
using duplex::protocol::session_state;

namespace {
constexpr std::uint8_t text = 0x1, binary = 0x2, cont = 0x0, ping = 0x9;
std::string big_text(std::size_t n) {
    std::string s;
    s.reserve(n);
    const std::string unit = "duplex \xe2\x9c\x93 "; // multi-byte text, 11 bytes
    while (s.size() + unit.size() <= n)
        s += unit;
    s.append(n - s.size(), 'x');
    return s;
}
std::string fragmented(std::uint8_t opcode, const std::string& payload, std::size_t fragment) {
    std::string wire;
    for (std::size_t pos = 0; pos < payload.size() || pos == 0; pos += fragment) {
        const bool last = pos + fragment >= payload.size();
        wire += client_frame(pos == 0 ? opcode : cont, payload.substr(pos, fragment), last);
        if (last) break;
    }
    return wire;
}
} // namespace

TEST_CASE("9.x large messages, whole and fragmented, echo intact", "[conformance][autobahn9]") {
    for (std::size_t n : {64u * 1024, 256u * 1024, 1024u * 1024, 4u * 1024 * 1024}) {
        const auto t = big_text(n);
        const auto d = describe_payload(t);
        const auto got = run_session<duplex::server_role>({client_frame(text, t)});
        CHECK(got.events == std::vector<std::string>{"text:" + d});
        CHECK(got.written == std::vector<std::string>{"text:" + d});
    }
    const auto b = std::string(1024 * 1024, '\x5a');
    for (std::size_t fragment : {256u, 4096u, 65536u}) {
        INFO("fragments of " << fragment);
        const auto wire = fragmented(binary, b, fragment);
        const auto got = run_session<duplex::server_role>({wire});
        CHECK(got.events == std::vector<std::string>{"binary:" + describe_payload(b)});
        // Arriving in reads of 1300 bytes, as over a real socket.
        std::vector<std::string> reads;
        for (std::size_t pos = 0; pos < wire.size(); pos += 1300)
            reads.push_back(wire.substr(pos, 1300));
        CHECK(run_session<duplex::server_role>(reads).events == got.events);
    }
}

TEST_CASE("10.x and limits: every limit closes with 1009 at once", "[conformance][limits]") {
    session_options small;
    small.max_message_size = 1000;
    small.max_frame_size = 600;
    small.max_fragments = 4;
    const auto closed_1009 = expect({"close:1009!"}, {"close:1009"}, session_state::closed);
    check_all_chunkings(client_frame(binary, std::string(600, 'x')),
                        expect({"binary:" + describe_payload(std::string(600, 'x'))},
                               {"binary:" + describe_payload(std::string(600, 'x'))}),
                        small);
    check_all_chunkings(client_frame(binary, std::string(601, 'x')), closed_1009, small);     // frame too big
    check_all_chunkings(fragmented(binary, std::string(1001, 'x'), 500), closed_1009, small); // message too big
    check_all_chunkings(fragmented(binary, std::string(5, 'x'), 1), closed_1009, small);      // fragment flood
    check_all_chunkings(fragmented(binary, std::string(4, 'x'), 1), expect({"binary:xxxx"}, {"binary:xxxx"}), small);
    // A 64-bit length with the top bit set, and one of 2^63-1: closed without
    // allocating or waiting for the payload.
    const auto msb = bytes({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4});
    check_all_chunkings(msb, closed_1009);
    const auto huge = bytes({0x82, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4});
    check_all_chunkings(huge, closed_1009);
    duplex::protocol::session<duplex::server_role> s;
    s.feed(huge);
    CHECK(s.next_event().code == 1009);
    CHECK(s.buffer_capacity() < 4096);
}

TEST_CASE("auto-pong can be turned off", "[conformance]") {
    session_options manual;
    manual.auto_pong = false;
    check_all_chunkings(client_frame(ping, "x"), expect({"ping:x"}, {}), manual);
}

TEST_CASE("streaming mode delivers parts whose concatenation is the message", "[conformance][streaming]") {
    session_options streaming;
    streaming.streaming = true;
    streaming.max_message_size = 64 * 1024 * 1024;
    const auto t = big_text(300000);
    const auto wire = fragmented(text, t, 70000);
    for (std::size_t read : {1u, 7u, 1300u, 65536u, 1u << 30}) {
        duplex::protocol::session<duplex::server_role> s(streaming);
        std::string joined;
        int fins = 0;
        for (std::size_t pos = 0; pos < wire.size(); pos += read) {
            s.feed(wire.substr(pos, read));
            while (auto ev = s.next_event()) {
                REQUIRE(ev.type == duplex::protocol::event::message_part);
                CHECK(ev.is_text());
                joined += ev.data;
                if (ev.fin) ++fins;
            }
        }
        CHECK(fins == 1);
        CHECK(joined == t);
        CHECK(s.buffer_capacity() < 2 * 1024 * 1024); // parts, not the whole message, are buffered
    }
    // Invalid UTF-8 in an early part closes before the message ends.
    duplex::protocol::session<duplex::server_role> s(streaming);
    s.feed(client_frame(text, "ok \xed\xa0\x80 bad", false));
    auto ev = s.next_event();
    while (ev.type == duplex::protocol::event::message_part)
        ev = s.next_event();
    CHECK(ev.code == 1007);
}

TEST_CASE("the client role: unmasked server frames in, masked frames out", "[conformance][client]") {
    const auto hello = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}); // RFC 6455 5.7
    check_all_chunkings<duplex::client_role>(hello, expect({"text:Hello"}, {"text:Hello"}));
    check_all_chunkings<duplex::client_role>(client_frame(text, "masked"),
                                             expect({"close:1002!"}, {"close:1002"}, session_state::closed));
    check_all_chunkings<duplex::client_role>(server_frame(0x9, "p"), expect({"ping:p"}, {"pong:p"}));
    // Every frame a client writes is masked with a fresh key.
    duplex::protocol::session<duplex::client_role> c;
    c.send_text("one");
    c.send_text("one");
    const std::string out(c.output());
    REQUIRE(out.size() == 2 * (2 + 4 + 3));
    CHECK((static_cast<unsigned char>(out[1]) & 0x80) != 0);
    CHECK(out.substr(2, 4) != out.substr(11, 4));
    CHECK(decode_written(out) == std::vector<std::string>{"text:one", "text:one"});
}
