// Autobahn 6.x: text messages must be UTF-8 (RFC 6455 5.6, 8.1; RFC 3629).
// Valid text is echoed however it is fragmented or chunked; invalid text fails
// the connection with 1007, as soon as the offending byte arrives (fail fast,
// 6.4.x), not when the message ends. The sequence table follows Markus Kuhn's
// UTF-8 decoder stress test as used by Autobahn 6.2-6.23.
#include <duplex/protocol/session.hpp>

#include "support/catch.hpp"

#include "harness.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using namespace duplex_conformance;

namespace {

// An independent reference: decode code points and apply RFC 3629's rules
// (shortest form, no surrogates, nothing above U+10FFFF).
bool reference_valid(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<std::uint8_t>(s[i]);
        std::size_t n;
        std::uint32_t cp;
        if (b < 0x80) {
            ++i;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            n = 1;
            cp = b & 0x1Fu;
        } else if ((b & 0xF0) == 0xE0) {
            n = 2;
            cp = b & 0x0Fu;
        } else if ((b & 0xF8) == 0xF0) {
            n = 3;
            cp = b & 0x07u;
        } else {
            return false;
        }
        if (s.size() - i <= n) return false;
        for (std::size_t k = 1; k <= n; ++k) {
            const auto c = static_cast<std::uint8_t>(s[i + k]);
            if ((c & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (c & 0x3Fu);
        }
        const std::uint32_t min[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n + 1;
    }
    return true;
}

const std::string kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"; // "κόσμε"

std::vector<std::string> valid_sequences() {
    std::vector<std::string> v = {"hello\x24world", "hello\xc2\xa2world", "hello\xe2\x82\xacworld",
                                  "hello\xf0\xa4\xad\xa2world", kosme,
                                  // first and last sequence of each length
                                  std::string(1, '\0'), "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80", "\x7f",
                                  "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf",
                                  // other boundaries: below the surrogates, private use, replacement character
                                  "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd",
                                  // Unicode specials U+FFF9-U+FFFF: noncharacters are valid UTF-8
                                  "\xef\xbf\xb9", "\xef\xbf\xba", "\xef\xbf\xbb", "\xef\xbf\xbc", "\xef\xbf\xbe"};
    // noncharacters U+nFFFE/U+nFFFF of every plane: F[0-4] [89AB]F BF [BE-BF]
    for (char lead : {'\xf0', '\xf1', '\xf2', '\xf3', '\xf4'})
        for (char second : {'\x8f', '\x9f', '\xaf', '\xbf'})
            for (char last : {'\xbe', '\xbf'}) {
                if (lead == '\xf4' && second != '\x8f') continue; // above U+10FFFF
                if (lead == '\xf0' && second == '\x8f') continue; // overlong
                v.push_back(std::string{lead, second, '\xbf', last});
            }
    // every complete prefix of a string of multi-byte code points
    for (std::size_t n : {2u, 5u, 7u, 9u})
        v.push_back(kosme.substr(0, n));
    return v;
}

std::vector<std::string> invalid_sequences() {
    std::vector<std::string> v = {
        // 5- and 6-byte forms and code points above U+10FFFF
        "\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80", "\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf",
        "\xfd\xbf\xbf\xbf\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
        // unexpected continuation bytes
        "\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf", "\x80\xbf\x80\xbf\x80",
        "\x80\xbf\x80\xbf\x80\xbf",
        // sequences with the last continuation byte missing (at the end of the message)
        "\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80", "\xfc\x80\x80\x80\x80", "\xdf", "\xef\xbf",
        "\xf7\xbf\xbf", "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf", "\xce", "\xe2\x82", "\xf0\x9f\x98",
        // impossible bytes
        "\xfe", "\xff", "\xfe\xfe\xff\xff",
        // overlong forms of '/', maximal overlongs, overlong NUL
        "\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf", "\xfc\x80\x80\x80\x80\xaf", "\xc1\xbf",
        "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf", "\xfc\x83\xbf\xbf\xbf\xbf", "\xc0\x80",
        "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80", "\xfc\x80\x80\x80\x80\x80",
        // single and paired UTF-16 surrogates
        "\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80", "\xed\xbe\x80", "\xed\xbf\xbf",
        "\xed\xa0\x80\xed\xb0\x80", "\xed\xa0\x80\xed\xbf\xbf", "\xed\xad\xbf\xed\xb0\x80", "\xed\xad\xbf\xed\xbf\xbf",
        "\xed\xae\x80\xed\xb0\x80", "\xed\xae\x80\xed\xbf\xbf", "\xed\xaf\xbf\xed\xb0\x80", "\xed\xaf\xbf\xed\xbf\xbf",
        // 6.3.1: valid text, then a surrogate, then more valid text
        kosme + "\xed\xa0\x80" + "edited"};
    // every continuation byte in a row
    std::string continuations;
    for (int c = 0x80; c <= 0xbf; ++c)
        continuations += static_cast<char>(c);
    v.push_back(continuations);
    // lonely start bytes, each followed by a space
    for (auto range : {std::pair<int, int>{0xc0, 0xdf}, {0xe0, 0xef}, {0xf0, 0xf7}, {0xf8, 0xfb}, {0xfc, 0xfd}}) {
        std::string s;
        for (int c = range.first; c <= range.second; ++c) {
            s += static_cast<char>(c);
            s += ' ';
        }
        v.push_back(s);
    }
    // the concatenation of incomplete sequences
    v.push_back("\xc0\xe0\x80\xf0\x80\x80\xf8\x80\x80\x80\xfc\x80\x80\x80\x80\xdf\xef\xbf\xf7\xbf\xbf\xfb\xbf\xbf\xbf"
                "\xfd\xbf\xbf\xbf\xbf");
    // every incomplete prefix of a string of multi-byte code points
    for (std::size_t n : {1u, 3u, 4u, 6u, 8u, 10u})
        v.push_back(kosme.substr(0, n));
    return v;
}

std::string bytes_of(const std::string& s) {
    std::string hex;
    for (char c : s)
        hex += show(std::string(1, c));
    return hex;
}

} // namespace

TEST_CASE("the UTF-8 tables agree with the reference decoder", "[conformance][autobahn6][harness]") {
    for (const auto& s : valid_sequences()) {
        INFO(bytes_of(s));
        CHECK(reference_valid(s));
    }
    for (const auto& s : invalid_sequences()) {
        INFO(bytes_of(s));
        CHECK_FALSE(reference_valid(s));
    }
}

TEST_CASE("6.1 empty text messages, whole and in empty fragments", "[conformance][autobahn6]") {
    expect_both_roles({frame(op::text, "")}, expect({"text:"}, {"text:"}));
    expect_both_roles({frame(op::text, "", false), frame(op::continuation, "", false), frame(op::continuation, "")},
                      expect({"text:"}, {"text:"}));
    expect_both_roles({frame(op::text, "", false), frame(op::continuation, "middle frame payload", false),
                       frame(op::continuation, "")},
                      expect({"text:middle frame payload"}, {"text:middle frame payload"}));
}

TEST_CASE("6.2, 6.5-6.23 valid UTF-8 is echoed, in every chunking", "[conformance][autobahn6]") {
    for (const auto& s : valid_sequences()) {
        INFO("payload " << bytes_of(s));
        expect_both_roles({frame(op::text, s)}, expect({text_msg(s)}, {text_msg(s)}));
    }
    // 6.2.1-6.2.2: a longer valid text, whole and in two fragments at a byte inside a code point.
    const std::string hello = "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!";
    expect_both_roles({frame(op::text, hello)}, expect({text_msg(hello)}, {text_msg(hello)}));
}

TEST_CASE("6.2.3/6.2.4 valid UTF-8 fragmented at every byte, even inside code points", "[conformance][autobahn6]") {
    const std::string hello = "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!";
    auto sequences = valid_sequences();
    sequences.push_back(hello);
    for (const auto& s : sequences) {
        INFO("payload " << bytes_of(s));
        // one byte per fragment
        expect_every_chunking<server_role>(wire<server_role>(fragments(op::text, s, 1)),
                                           expect({text_msg(s)}, {text_msg(s)}));
        // two fragments, cut at every offset
        for (std::size_t cut = 0; cut <= s.size(); ++cut) {
            const std::vector<frame_spec> frames = {frame(op::text, s.substr(0, cut), false),
                                                    frame(op::continuation, s.substr(cut))};
            check_outcome(run_cut<server_role>(wire<server_role>(frames), {}), expect({text_msg(s)}, {text_msg(s)}));
            check_outcome(run_reads<client_role>(wire<client_role>(frames), 1), expect({text_msg(s)}, {text_msg(s)}));
        }
    }
}

TEST_CASE("6.3, 6.5-6.23 invalid UTF-8 fails the connection with 1007", "[conformance][autobahn6]") {
    for (const auto& s : invalid_sequences()) {
        INFO("payload " << bytes_of(s));
        expect_both_roles({frame(op::text, s)}, expect_failure(1007));
        // Fragmented at every byte, the connection fails just the same and nothing is echoed.
        expect_every_chunking<server_role>(wire<server_role>(fragments(op::text, s, 1)), expect_failure(1007));
        // A ping behind the bad message is never answered.
        expect_every_chunking<client_role>(wire<client_role>({frame(op::text, s), frame(op::ping, "late")}),
                                           expect_failure(1007));
    }
}

TEST_CASE("binary messages are not UTF-8 checked", "[conformance][autobahn6]") {
    for (const auto& s : invalid_sequences()) {
        INFO("payload " << bytes_of(s));
        check_outcome(run_cut<server_role>(wire<server_role>({frame(op::binary, s)}), {}),
                      expect({binary_msg(s)}, {binary_msg(s)}));
    }
}

TEST_CASE("UTF-8 is checked at any offset of a long text, across the fast paths", "[conformance][autobahn6]") {
    // The validator skips ASCII in 8/16/64-byte steps: put each sequence at
    // every offset of a 160-byte ASCII text so it lands on every boundary.
    auto sequences = invalid_sequences();
    const auto valid = valid_sequences();
    sequences.insert(sequences.end(), valid.begin(), valid.end());
    for (const auto& s : sequences) {
        for (std::size_t at = 0; at <= 80; ++at) {
            const std::string t = text_payload(at) + s + text_payload(160 - at - std::min<std::size_t>(s.size(), 80));
            const auto expected = reference_valid(t) ? expect({text_msg(t)}, {text_msg(t)}) : expect_failure(1007);
            const auto got = run_cut<server_role>(wire<server_role>({frame(op::text, t)}), {});
            const auto got_split = run_reads<server_role>(wire<server_role>(fragments(op::text, t, 77)), 13);
            if (got == expected && got_split == expected) continue;
            INFO("payload " << bytes_of(s) << " at offset " << at);
            check_outcome(got, expected);
            check_outcome(got_split, expected);
            FAIL("outcome differs from the reference decoder");
        }
    }
    SUCCEED("all offsets agree with the reference decoder");
}

TEST_CASE("every 1- and 2-byte text and a sweep of 3- and 4-byte texts agree with RFC 3629",
          "[conformance][autobahn6]") {
    const auto agrees = [](const std::string& t) {
        session<server_role> s;
        s.feed(wire<server_role>({frame(op::text, t)}));
        const auto ev = s.next_event();
        const bool accepted = ev.type == event::message && ev.data == t;
        const bool failed = ev.type == event::close && ev.code == 1007 && ev.protocol_error;
        return reference_valid(t) ? accepted : failed;
    };
    std::size_t disagreements = 0;
    for (int a = 0; a < 256; ++a) {
        disagreements += !agrees(std::string(1, static_cast<char>(a)));
        for (int b = 0; b < 256; ++b)
            disagreements += !agrees(std::string{static_cast<char>(a), static_cast<char>(b)});
    }
    for (int a = 0xe0; a <= 0xf7; ++a)
        for (int b = 0; b < 256; ++b)
            for (auto tail : {"\x80\x80", "\xbf\xbf", "\x7f\x80", "\x80\xc0", "\xbf", "\x80"}) {
                disagreements += !agrees(std::string{static_cast<char>(a), static_cast<char>(b)} + tail);
                disagreements += !agrees("ab" + std::string{static_cast<char>(a), static_cast<char>(b)} + tail);
            }
    CHECK(disagreements == 0);
}

namespace {

// Feed `bytes` one byte at a time to a session of Role and return the offset
// of the byte whose arrival produced the 1007 failure (or npos), checking
// that no message was delivered before it and nothing is reported after it.
template <class Role>
std::size_t failure_offset(std::string_view bytes) {
    echo_peer<Role> peer;
    std::size_t failed_at = std::string_view::npos;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        peer.feed(bytes.substr(i, 1));
        const auto events = peer.take_events();
        const auto written = peer.take_written();
        if (failed_at == std::string_view::npos) {
            if (events.empty() || events[0].rfind("ping:", 0) == 0) continue; // a ping may come first
            CHECK(events == std::vector<std::string>{"fail:1007"});
            CHECK(written == std::vector<std::string>{"close:1007"});
            failed_at = i;
        } else {
            CHECK(events.empty());
            CHECK(written.empty());
        }
    }
    CHECK(peer.get().state() == session_state::closed);
    return failed_at;
}

// The wire offset of byte `index` of frame `frame_index`'s payload.
template <class Role>
std::size_t payload_offset(const std::vector<frame_spec>& frames, std::size_t frame_index, std::size_t index) {
    std::vector<frame_spec> before(frames.begin(), frames.begin() + static_cast<std::ptrdiff_t>(frame_index + 1));
    const std::size_t through = wire<Role>(before).size();
    return through - frames[frame_index].payload.size() + index;
}

} // namespace

TEST_CASE("6.4.1/6.4.2 fail fast: a bad fragment closes before the message ends", "[conformance][autobahn6]") {
    const std::string part3 = "edited";
    // 6.4.1: the second fragment holds U+110000 in the 4-byte form; 6.4.2 cuts
    // right after the byte that makes the text invalid.
    const std::vector<std::vector<frame_spec>> cases = {
        {frame(op::text, kosme, false), frame(op::continuation, "\xf4\x90\x80\x80", false),
         frame(op::continuation, part3)},
        {frame(op::text, kosme + "\xf4", false), frame(op::continuation, "\x90", false),
         frame(op::continuation, "\x80\x80" + part3)}};
    for (const auto& frames : cases) {
        INFO("second fragment " << bytes_of(frames[1].payload));
        // Frame by frame: nothing after the first, the failure with the second.
        echo_peer<server_role> peer;
        const auto w = [](const frame_spec& f) { return wire<server_role>({f}); };
        peer.feed(w(frames[0]));
        CHECK(peer.take_events().empty());
        CHECK(peer.take_written().empty());
        CHECK(peer.get().is_open());
        peer.feed(w(frames[1]));
        CHECK(peer.take_events() == std::vector<std::string>{"fail:1007"});
        CHECK(peer.take_written() == std::vector<std::string>{"close:1007"});
        CHECK(peer.get().state() == session_state::closed);
        peer.feed(w(frames[2]));
        CHECK(peer.take_events().empty());
        CHECK(peer.take_written().empty());
        // Byte by byte: the failure comes with the byte 0x90 after 0xF4, the
        // first that no valid text can continue with.
        const std::size_t bad = frames[1].payload[0] == '\x90' ? 0 : 1;
        CHECK(failure_offset<server_role>(wire<server_role>(frames)) == payload_offset<server_role>(frames, 1, bad));
        CHECK(failure_offset<client_role>(wire<client_role>(frames)) == payload_offset<client_role>(frames, 1, bad));
    }
}

TEST_CASE("6.4.3/6.4.4 fail fast within one frame: the rest of its payload is not awaited",
          "[conformance][autobahn6]") {
    const std::string payload = kosme + "\xf4\x90\x80\x80" + "edited";
    for (std::size_t first_chop : {11u, 12u}) {
        INFO("first chop of " << first_chop << " payload bytes");
        const auto f = frame(op::text, payload);
        const auto bytes_in = wire<server_role>({f});
        const std::size_t header = bytes_in.size() - payload.size();
        echo_peer<server_role> peer;
        peer.feed(std::string_view(bytes_in).substr(0, header + first_chop));
        CHECK(peer.take_events().empty());
        CHECK(peer.get().is_open());
        peer.feed(std::string_view(bytes_in).substr(header + first_chop, first_chop == 11 ? 4 : 1));
        CHECK(peer.take_events() == std::vector<std::string>{"fail:1007"});
        CHECK(peer.take_written() == std::vector<std::string>{"close:1007"});
        peer.feed(std::string_view(bytes_in).substr(header + first_chop + (first_chop == 11 ? 4 : 1)));
        CHECK(peer.take_events().empty());
        CHECK(failure_offset<server_role>(bytes_in) == header + 12);
        CHECK(failure_offset<client_role>(wire<client_role>({f})) ==
              wire<client_role>({f}).size() - payload.size() + 12);
    }
}

TEST_CASE("fail fast: invalid UTF-8 in the first fragment closes before any continuation arrives",
          "[conformance][autobahn6]") {
    const std::vector<frame_spec> frames = {frame(op::text, kosme + "\xed\xa0\x80", false),
                                            frame(op::continuation, "more", false), frame(op::continuation, "end")};
    echo_peer<server_role> peer;
    peer.feed(wire<server_role>({frames[0]}));
    CHECK(peer.take_events() == std::vector<std::string>{"fail:1007"});
    CHECK(peer.take_written() == std::vector<std::string>{"close:1007"});
    peer.feed(wire<server_role>({frames[1], frames[2], frame(op::ping, "ignored")}));
    CHECK(peer.take_events().empty());
    CHECK(peer.take_written().empty());
    CHECK(failure_offset<server_role>(wire<server_role>(frames)) == payload_offset<server_role>(frames, 0, 12));
}

TEST_CASE("invalid UTF-8 split across fragments is caught where the fragments meet", "[conformance][autobahn6]") {
    // A surrogate cut after its lead byte, a code point above U+10FFFF, an overlong.
    for (auto parts : {std::pair<std::string, std::string>{"ab\xed", "\xa0\x80"},
                       {"\xf4", "\x90\x80\x80"},
                       {"\xe0", "\x80\xaf"},
                       {"x\xc2", "y"}}) {
        INFO(bytes_of(parts.first) << " | " << bytes_of(parts.second));
        const std::vector<frame_spec> frames = {frame(op::text, parts.first, false), frame(op::ping, "between"),
                                                frame(op::continuation, parts.second)};
        // The ping between the fragments is still answered: the text is not wrong yet.
        expect_both_roles(frames, expect_failure(1007, {"ping:between"}, {"pong:between"}));
        CHECK(failure_offset<server_role>(wire<server_role>(frames)) == payload_offset<server_role>(frames, 2, 0));
    }
}

TEST_CASE("a text message may not end inside a code point", "[conformance][autobahn6]") {
    // The last fragment is empty: the message ends with a truncated sequence.
    expect_both_roles({frame(op::text, kosme + "\xce", false), frame(op::continuation, "")}, expect_failure(1007));
    expect_both_roles(
        {frame(op::text, "\xe2\x82", false), frame(op::continuation, "", false), frame(op::continuation, "\xac")},
        expect({text_msg("\xe2\x82\xac")}, {text_msg("\xe2\x82\xac")}));
    // A code point completed across a ping.
    expect_both_roles({frame(op::text, "\xf0\x9f", false), frame(op::ping, ""), frame(op::continuation, "\x98\x80")},
                      expect({"ping:", text_msg("\xf0\x9f\x98\x80")}, {"pong:", text_msg("\xf0\x9f\x98\x80")}));
    // The validator starts afresh with each message.
    expect_both_roles({frame(op::text, "\xe2\x82\xac"), frame(op::text, "\xac")},
                      expect_failure(1007, {text_msg("\xe2\x82\xac")}, {text_msg("\xe2\x82\xac")}));
}

TEST_CASE("validate_utf8 off: text is delivered unchecked", "[conformance][autobahn6]") {
    session_options trusting;
    trusting.validate_utf8 = false;
    const std::string bad = kosme + "\xed\xa0\x80";
    expect_both_roles({frame(op::text, bad)}, expect({text_msg(bad)}, {text_msg(bad)}), trusting);
}
