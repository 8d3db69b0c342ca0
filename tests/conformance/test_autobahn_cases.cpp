// Autobahn testsuite sections 1-7, written from RFC 6455 and the public case
// descriptions, against a server session that echoes (and a client session
// where the case is about roles). Each case runs in every chunking.
#include "harness.hpp"

#include <string>
#include <vector>

using namespace duplex_test;
using duplex::protocol::session_state;

namespace {
constexpr std::uint8_t text = 0x1, binary = 0x2, cont = 0x0, close_op = 0x8, ping = 0x9, pong = 0xA;
const auto closed = session_state::closed;

std::string payload_of(std::size_t n, char seed = 'a') {
    std::string s(n, seed);
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>('a' + (i * 7 + static_cast<std::size_t>(seed)) % 26);
    return s;
}
std::string binary_payload(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>((i * 31 + 17) & 0xFF);
    return s;
}
std::string close_frame(std::uint16_t code, std::string_view reason = {}) {
    return client_frame(close_op, close_payload(code, reason));
}
} // namespace

TEST_CASE("1.x framing: text and binary messages of every length class are echoed", "[conformance][autobahn1]") {
    for (std::size_t n : {0u, 125u, 126u, 127u, 128u, 65535u, 65536u}) {
        INFO("length " << n);
        const auto t = payload_of(n);
        check_all_chunkings(client_frame(text, t),
                            expect({"text:" + describe_payload(t)}, {"text:" + describe_payload(t)}));
        const auto b = binary_payload(n);
        check_all_chunkings(client_frame(binary, b),
                            expect({"binary:" + describe_payload(b)}, {"binary:" + describe_payload(b)}));
    }
}

TEST_CASE("2.x pings and pongs", "[conformance][autobahn2]") {
    check_all_chunkings(client_frame(ping, ""), expect({"ping:"}, {"pong:"})); // 2.1
    check_all_chunkings(client_frame(ping, "Hello, world!"),
                        expect({"ping:Hello, world!"}, {"pong:Hello, world!"})); // 2.2
    const auto bin = bytes({0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff});
    check_all_chunkings(client_frame(ping, bin), expect({"ping:" + bin}, {"pong:" + bin})); // 2.3
    const auto p125 = std::string(125, '\xfe');
    check_all_chunkings(client_frame(ping, p125),
                        expect({"ping:" + describe_payload(p125)}, {"pong:" + describe_payload(p125)})); // 2.4
    check_all_chunkings(client_frame(ping, std::string(126, '\xfe')),
                        expect({"close:1002!"}, {"close:1002"}, closed));                     // 2.5
    check_all_chunkings(client_frame(pong, ""), expect({"pong:"}, {}));                       // 2.7
    check_all_chunkings(client_frame(pong, "unsolicited"), expect({"pong:unsolicited"}, {})); // 2.8
    check_all_chunkings(client_frame(pong, "x") + client_frame(ping, "y"),
                        expect({"pong:x", "ping:y"}, {"pong:y"})); // 2.9
    std::string ten;
    std::vector<std::string> events, written;
    for (int i = 0; i < 10; ++i) {
        ten += client_frame(ping, "payload-" + std::to_string(i));
        events.push_back("ping:payload-" + std::to_string(i));
        written.push_back("pong:payload-" + std::to_string(i));
    }
    check_all_chunkings(ten, expect(events, written)); // 2.10, 2.11
}

TEST_CASE("3.x reserved bits fail the connection before any handler sees data", "[conformance][autobahn3]") {
    const std::uint8_t rsv1 = 0x40, rsv2 = 0x20, rsv3 = 0x10;
    check_all_chunkings(client_frame(text, "Hello", true, rsv2), expect({"close:1002!"}, {"close:1002"}, closed));
    check_all_chunkings(client_frame(text, "Hello") + client_frame(text, "Hello", true, rsv2) + client_frame(ping, ""),
                        expect({"text:Hello", "close:1002!"}, {"text:Hello", "close:1002"}, closed)); // 3.2
    check_all_chunkings(client_frame(text, "Hello", true, rsv3), expect({"close:1002!"}, {"close:1002"}, closed));
    check_all_chunkings(client_frame(binary, bytes({0, 1, 2}), true, rsv1 | rsv3),
                        expect({"close:1002!"}, {"close:1002"}, closed)); // 3.5
    check_all_chunkings(client_frame(ping, "Hello", true, rsv1 | rsv2),
                        expect({"close:1002!"}, {"close:1002"}, closed)); // 3.6
    check_all_chunkings(client_frame(close_op, close_payload(1000), true, rsv1 | rsv2 | rsv3),
                        expect({"close:1002!"}, {"close:1002"}, closed)); // 3.7
    check_all_chunkings(client_frame(text, "Hello", true, rsv1),
                        expect({"close:1002!"}, {"close:1002"}, closed)); // 3.1
}

TEST_CASE("4.x reserved opcodes fail the connection", "[conformance][autobahn4]") {
    for (int value : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
        const auto op = static_cast<std::uint8_t>(value);
        INFO("opcode " << value);
        check_all_chunkings(client_frame(op, ""), expect({"close:1002!"}, {"close:1002"}, closed));
        check_all_chunkings(client_frame(text, "Hello") + client_frame(op, "reserved") + client_frame(ping, ""),
                            expect({"text:Hello", "close:1002!"}, {"text:Hello", "close:1002"}, closed));
    }
}

TEST_CASE("5.x fragmentation", "[conformance][autobahn5]") {
    const auto closed_1002 = expect({"close:1002!"}, {"close:1002"}, closed);
    check_all_chunkings(client_frame(ping, "fragment1", false) + client_frame(cont, "fragment2"), closed_1002); // 5.1
    check_all_chunkings(client_frame(pong, "fragment1", false) + client_frame(cont, "fragment2"), closed_1002); // 5.2
    const auto two = client_frame(text, "fragment1", false) + client_frame(cont, "fragment2");
    check_all_chunkings(two, expect({"text:fragment1fragment2"}, {"text:fragment1fragment2"})); // 5.3, 5.4, 5.5
    check_all_chunkings(
        client_frame(text, "fragment1", false) + client_frame(ping, "ping") + client_frame(cont, "fragment2"),
        expect({"ping:ping", "text:fragment1fragment2"}, {"pong:ping", "text:fragment1fragment2"}));     // 5.6-5.8
    check_all_chunkings(client_frame(cont, "fragment2") + client_frame(text, "fragment1"), closed_1002); // 5.9
    check_all_chunkings(client_frame(cont, "fragment1", false) + client_frame(cont, "fragment2"), closed_1002); // 5.12
    check_all_chunkings(client_frame(text, "fragment1", false) + client_frame(text, "fragment2"), closed_1002); // 5.18
    check_all_chunkings(two + client_frame(cont, "fragment3", false) + client_frame(text, "Hello"),
                        expect({"text:fragment1fragment2", "close:1002!"}, {"text:fragment1fragment2", "close:1002"},
                               closed)); // 5.15
    // 5.19/5.20: five fragments with pings between them.
    std::string five;
    std::string whole;
    for (int i = 1; i <= 5; ++i) {
        const std::string part = "fragment" + std::to_string(i);
        whole += part;
        five += client_frame(i == 1 ? text : cont, part, i == 5);
        if (i == 2 || i == 4) five += client_frame(ping, "pongme " + std::to_string(i));
    }
    check_all_chunkings(five, expect({"ping:pongme 2", "ping:pongme 4", "text:" + describe_payload(whole)},
                                     {"pong:pongme 2", "pong:pongme 4", "text:" + describe_payload(whole)}));
    // Empty fragments (6.1.2 / 6.1.3 as well).
    check_all_chunkings(client_frame(text, "", false) + client_frame(cont, "", false) + client_frame(cont, ""),
                        expect({"text:"}, {"text:"}));
    check_all_chunkings(client_frame(text, "", false) + client_frame(cont, "middle", false) + client_frame(cont, ""),
                        expect({"text:middle"}, {"text:middle"}));
}

TEST_CASE("6.x UTF-8: valid text in any fragmentation, invalid text closed with 1007", "[conformance][autobahn6]") {
    const std::string hello = "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!";
    check_all_chunkings(client_frame(text, hello), expect({"text:" + hello}, {"text:" + hello}));
    // 6.2.3/6.2.4: fragmented at every byte, also inside code points.
    for (std::size_t cut = 0; cut <= hello.size(); ++cut) {
        const auto wire = client_frame(text, hello.substr(0, cut), false) + client_frame(cont, hello.substr(cut));
        REQUIRE(run_session<duplex::server_role>({wire}).events == std::vector<std::string>{"text:" + hello});
    }
    const std::vector<std::string> valid = {"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",
                                            "\x00",
                                            "\xc2\x80",
                                            "\xe0\xa0\x80",
                                            "\xf0\x90\x80\x80",
                                            "\x7f",
                                            "\xdf\xbf",
                                            "\xef\xbf\xbf",
                                            "\xf4\x8f\xbf\xbf",
                                            "\xed\x9f\xbf",
                                            "\xee\x80\x80",
                                            "\xef\xbf\xbd",
                                            "\xef\xbf\xbe",
                                            "\xf0\x9f\xbf\xbf",
                                            "\xf3\xbf\xbf\xbf"};
    for (const auto& v : valid) {
        const std::string s = v == std::string("\x00") ? std::string(1, '\0') : v;
        check_all_chunkings(client_frame(text, s), expect({"text:" + s}, {"text:" + s}));
    }
    const std::vector<std::string> invalid = {
        "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64", // 6.3
        "\xf8\x88\x80\x80\x80",
        "\xfc\x84\x80\x80\x80\x80",
        "\xf4\x90\x80\x80",
        "\x80",
        "\xbf",
        "\x80\xbf",
        "\xc0\x20",
        "\xe0\x80\x20",
        "\xf0\x80\x80\x20",
        "\xc0",
        "\xe0\x80",
        "\xf0\x80\x80",
        "\xdf",
        "\xef\xbf",
        "\xf7\xbf\xbf",
        "\xfe",
        "\xff",
        "\xfe\xfe\xff\xff",
        "\xc0\xaf",
        "\xe0\x80\xaf",
        "\xf0\x80\x80\xaf",
        "\xc1\xbf",
        "\xe0\x9f\xbf",
        "\xf0\x8f\xbf\xbf",
        "\xed\xa0\x80",
        "\xed\xad\xbf",
        "\xed\xbf\xbf",
        "\xed\xa0\x80\xed\xb0\x80",
        "\xed\xaf\xbf\xed\xbf\xbf"};
    for (const auto& s : invalid) {
        INFO("invalid sequence of " << s.size() << " bytes");
        check_all_chunkings(client_frame(text, s), expect({"close:1007!"}, {"close:1007"}, closed));
    }
}

TEST_CASE("6.4.x invalid UTF-8 fails fast, before the message ends", "[conformance][autobahn6]") {
    // 6.4.1: the first fragment holds the invalid sequence; the session must
    // close at once, not wait for the rest (which is then ignored).
    duplex::protocol::session<duplex::server_role> s;
    s.feed(client_frame(text, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80", false));
    auto ev = s.next_event();
    REQUIRE(ev.type == duplex::protocol::event::close);
    CHECK(ev.code == 1007);
    CHECK(s.state() == closed);
    s.feed(client_frame(cont, "\x65\x64\x69\x74\x65\x64"));
    CHECK(s.next_event().type == duplex::protocol::event::none);
    // 6.4.3: one frame whose payload arrives in parts: the bad bytes close it
    // while the rest of the payload is still missing.
    const auto frame =
        client_frame(text, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80\x65\x64\x69\x74\x65\x64");
    duplex::protocol::session<duplex::server_role> t;
    t.feed(frame.substr(0, 6 + 15)); // header + up to the invalid sequence
    ev = t.next_event();
    REQUIRE(ev.type == duplex::protocol::event::close);
    CHECK(ev.code == 1007);
}

TEST_CASE("7.x closing", "[conformance][autobahn7]") {
    check_all_chunkings(close_frame(1000), expect({"close:1000"}, {"close:1000"}, closed));                     // 7.1.1
    check_all_chunkings(close_frame(1000) + close_frame(1000), expect({"close:1000"}, {"close:1000"}, closed)); // 7.1.2
    check_all_chunkings(close_frame(1000) + client_frame(ping, "x"),
                        expect({"close:1000"}, {"close:1000"}, closed)); // 7.1.3
    check_all_chunkings(close_frame(1000) + client_frame(text, "x"),
                        expect({"close:1000"}, {"close:1000"}, closed)); // 7.1.4
    check_all_chunkings(client_frame(text, "fragment1", false) + close_frame(1000) + client_frame(cont, "fragment2"),
                        expect({"close:1000"}, {"close:1000"}, closed)); // 7.1.5
    check_all_chunkings(client_frame(close_op, ""),
                        expect({"close:1005"}, {"close:"}, closed)); // 7.3.1: reply without code
    check_all_chunkings(client_frame(close_op, "\x03"), expect({"close:1002!"}, {"close:1002"}, closed));   // 7.3.2
    check_all_chunkings(close_frame(1000, "Hello World!"), expect({"close:1000"}, {"close:1000"}, closed)); // 7.3.4
    check_all_chunkings(close_frame(1000, std::string(123, '*')),
                        expect({"close:1000"}, {"close:1000"}, closed)); // 7.3.5
    check_all_chunkings(close_frame(1000, std::string(124, '*')),
                        expect({"close:1002!"}, {"close:1002"}, closed)); // 7.3.6
    check_all_chunkings(close_frame(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64"),
                        expect({"close:1007!"}, {"close:1007"}, closed)); // 7.5.1
    for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}) {
        const auto c = std::to_string(code);
        check_all_chunkings(close_frame(static_cast<std::uint16_t>(code)),
                            expect({"close:" + c}, {"close:" + c}, closed)); // 7.7.x: echoed
    }
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
        INFO("code " << code);
        check_all_chunkings(close_frame(static_cast<std::uint16_t>(code)),
                            expect({"close:1002!"}, {"close:1002"}, closed)); // 7.9.x
    }
}

TEST_CASE("7.x closing started locally", "[conformance][autobahn7]") {
    duplex::protocol::session<duplex::server_role> s;
    REQUIRE_FALSE(s.send_close(4001, "bye"));
    CHECK(s.state() == session_state::closing);
    CHECK(decode_written(std::string(s.output())) == std::vector<std::string>{"close:4001"});
    s.consume_output(s.output_size());
    // Data the peer sent before it saw our close still arrives; then its close.
    s.feed(client_frame(text, "late") + close_frame(4001));
    auto ev = s.next_event();
    CHECK(describe(ev) == "text:late");
    ev = s.next_event();
    CHECK(describe(ev) == "close:4001");
    CHECK(s.state() == closed);
    CHECK(s.output_size() == 0); // no second close frame
    CHECK(s.should_close_transport());
    // The transport ending without a close handshake reports 1006.
    duplex::protocol::session<duplex::server_role> t;
    CHECK(describe(t.transport_closed()) == "close:1006");
    CHECK(t.transport_closed().type == duplex::protocol::event::none);
}
