// The conformance harness: builds frames byte by byte (valid ones and ones no
// correct encoder writes), drives a sans-I/O session with them in several
// chunkings, echoes every message the way the Autobahn testsuite expects of the
// endpoint under test, and describes what happened as comparable strings:
// the events, the frames the session wrote back (decoded by an independent
// parser that also checks the writer's obligations) and the final state.
#pragma once

#include <duplex/protocol/session.hpp>

#include "support/catch.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duplex_conformance {

using duplex::client_role;
using duplex::server_role;
using duplex::protocol::event;
using duplex::protocol::message_kind;
using duplex::protocol::session;
using duplex::protocol::session_options;
using duplex::protocol::session_state;

// ---- frames on the wire ------------------------------------------------

/// Opcodes (RFC 6455 5.2); tests also write the reserved values 3-7 and 0xB-0xF.
namespace op {
inline constexpr std::uint8_t continuation = 0x0;
inline constexpr std::uint8_t text = 0x1;
inline constexpr std::uint8_t binary = 0x2;
inline constexpr std::uint8_t close = 0x8;
inline constexpr std::uint8_t ping = 0x9;
inline constexpr std::uint8_t pong = 0xA;
} // namespace op

inline constexpr std::uint8_t rsv1 = 0x40;
inline constexpr std::uint8_t rsv2 = 0x20;
inline constexpr std::uint8_t rsv3 = 0x10;

using mask_key = std::array<std::uint8_t, 4>;

/// How the payload length is written: minimally (RFC 6455 5.2) or in a forced form.
enum class length_form { minimal, extended16, extended64 };

/// One frame with every header field free, including values no correct encoder writes.
struct frame_spec {
    std::uint8_t opcode = op::text; ///< any 4-bit value, reserved ones included
    std::string payload;            ///< the unmasked payload
    bool fin = true;
    std::uint8_t rsv = 0;                         ///< rsv1 | rsv2 | rsv3
    std::optional<std::uint64_t> declared_length; ///< a length field that lies about the payload
    length_form form = length_form::minimal;
};

inline frame_spec frame(std::uint8_t opcode, std::string_view payload, bool fin = true, std::uint8_t rsv = 0) {
    frame_spec f;
    f.opcode = opcode;
    f.payload = std::string(payload);
    f.fin = fin;
    f.rsv = rsv;
    return f;
}

/// A close frame's payload: the 2-byte code, then the reason.
inline std::string close_body(std::uint16_t code, std::string_view reason = {}) {
    std::string body;
    body += static_cast<char>(code >> 8);
    body += static_cast<char>(code & 0xFF);
    body += reason;
    return body;
}

inline frame_spec close_frame(std::uint16_t code, std::string_view reason = {}) {
    return frame(op::close, close_body(code, reason));
}

/// Encode `f`, masked with `key` when there is one (RFC 6455 5.2, 5.3).
inline std::string encode(const frame_spec& f, const std::optional<mask_key>& key) {
    std::string out;
    out += static_cast<char>((f.fin ? 0x80 : 0x00) | (f.rsv & 0x70) | (f.opcode & 0x0F));
    const std::uint64_t length = f.declared_length.value_or(f.payload.size());
    length_form form = f.form;
    if (form == length_form::minimal && length > 125)
        form = length <= 0xFFFF ? length_form::extended16 : length_form::extended64;
    const int mask_bit = key ? 0x80 : 0x00;
    switch (form) {
    case length_form::minimal: out += static_cast<char>(mask_bit | static_cast<int>(length)); break;
    case length_form::extended16:
        out += static_cast<char>(mask_bit | 126);
        for (int shift = 8; shift >= 0; shift -= 8)
            out += static_cast<char>((length >> shift) & 0xFF);
        break;
    case length_form::extended64:
        out += static_cast<char>(mask_bit | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
            out += static_cast<char>((length >> shift) & 0xFF);
        break;
    }
    if (!key) return out + f.payload;
    for (auto b : *key)
        out += static_cast<char>(b);
    for (std::size_t i = 0; i < f.payload.size(); ++i)
        out += static_cast<char>(static_cast<std::uint8_t>(f.payload[i]) ^ (*key)[i % 4]);
    return out;
}

/// Keys used in turn for frames sent to a server: the RFC 6455 5.7 example key,
/// the zero key, all bits set, and one with distinct bytes in every lane.
inline const std::vector<mask_key>& test_keys() {
    static const std::vector<mask_key> keys = {
        {0x37, 0xfa, 0x21, 0x3d}, {0x00, 0x00, 0x00, 0x00}, {0xff, 0xff, 0xff, 0xff}, {0x01, 0x80, 0x7f, 0xc3}};
    return keys;
}

/// The bytes a session of Receiver gets for `frames`: masked with test_keys()
/// in turn when a server receives them, unmasked when a client does (RFC 6455 5.1).
template <class Receiver>
std::string wire(const std::vector<frame_spec>& frames) {
    std::string out;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        std::optional<mask_key> key;
        if (Receiver::expects_masked_input) key = test_keys()[i % test_keys().size()];
        out += encode(frames[i], key);
    }
    return out;
}

// ---- describing what happened -----------------------------------------

/// Short payloads verbatim (non-printable bytes as \xHH), long ones by size and FNV-1a hash.
inline std::string show(std::string_view bytes) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    if (bytes.size() > 48) {
        std::uint64_t h = 14695981039346656037ull;
        for (char c : bytes)
            h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
        out = "<" + std::to_string(bytes.size()) + " bytes, fnv ";
        for (int shift = 60; shift >= 0; shift -= 4)
            out += hex[(h >> shift) & 0xF];
        return out + ">";
    }
    for (char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7F && c != '\\') {
            out += c;
        } else {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0xF];
        }
    }
    return out;
}

inline std::string describe_state(session_state state) {
    switch (state) {
    case session_state::open: return "open";
    case session_state::closing: return "closing";
    case session_state::closed: return "closed";
    }
    return "?";
}

/// "text:..", "binary:..", "text-part:..|fin", "ping:..", "pong:..",
/// "close:CODE[ reason]" for a close the peer sent or the transport ending,
/// "fail:CODE" when the session failed the connection (RFC 6455 7.1.7).
inline std::string describe(const event& ev) {
    const std::string kind = ev.kind == message_kind::text ? "text" : "binary";
    switch (ev.type) {
    case event::message: return kind + ":" + show(ev.data);
    case event::message_part: return kind + "-part:" + show(ev.data) + (ev.fin ? "|fin" : "");
    case event::ping: return "ping:" + show(ev.data);
    case event::pong: return "pong:" + show(ev.data);
    case event::close:
        if (ev.protocol_error) return "fail:" + std::to_string(ev.code);
        return "close:" + std::to_string(ev.code) + (ev.reason.empty() ? "" : " " + show(ev.reason));
    case event::none: break;
    }
    return "none";
}

/// A frame as it was found on the wire.
struct wire_frame {
    bool fin = true;
    std::uint8_t rsv = 0;
    std::uint8_t opcode = 0;
    bool masked = false;
    mask_key key{};
    std::string payload; ///< unmasked
};

/// Parse frames written by a session. Independent of the library's codec, and
/// strict: every frame complete, a defined opcode, the minimal length form
/// (RFC 6455 5.2), control frames unfragmented and at most 125 bytes (5.5).
inline std::vector<wire_frame> parse_frames(std::string_view bytes) {
    std::vector<wire_frame> frames;
    const auto at = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        REQUIRE(bytes.size() - pos >= 2);
        wire_frame f;
        f.fin = (at(pos) & 0x80) != 0;
        f.rsv = static_cast<std::uint8_t>(at(pos) & 0x70);
        f.opcode = static_cast<std::uint8_t>(at(pos) & 0x0F);
        f.masked = (at(pos + 1) & 0x80) != 0;
        std::uint64_t length = at(pos + 1) & 0x7F;
        pos += 2;
        if (length == 126) {
            REQUIRE(bytes.size() - pos >= 2);
            length = (std::uint64_t{at(pos)} << 8) | at(pos + 1);
            REQUIRE(length >= 126); // minimal form
            pos += 2;
        } else if (length == 127) {
            REQUIRE(bytes.size() - pos >= 8);
            length = 0;
            for (std::size_t i = 0; i < 8; ++i)
                length = (length << 8) | at(pos + i);
            REQUIRE(length > 0xFFFF); // minimal form, top bit clear
            REQUIRE(length < (std::uint64_t{1} << 63));
            pos += 8;
        }
        if (f.masked) {
            REQUIRE(bytes.size() - pos >= 4);
            for (std::size_t i = 0; i < 4; ++i)
                f.key[i] = at(pos + i);
            pos += 4;
        }
        REQUIRE(bytes.size() - pos >= length);
        f.payload = std::string(bytes.substr(pos, static_cast<std::size_t>(length)));
        if (f.masked)
            for (std::size_t i = 0; i < f.payload.size(); ++i)
                f.payload[i] = static_cast<char>(static_cast<std::uint8_t>(f.payload[i]) ^ f.key[i % 4]);
        pos += static_cast<std::size_t>(length);
        const bool known = f.opcode <= op::binary || (f.opcode >= op::close && f.opcode <= op::pong);
        REQUIRE(known);
        if (f.opcode >= op::close) {
            REQUIRE(f.fin);
            REQUIRE(f.payload.size() <= 125);
        }
        frames.push_back(std::move(f));
    }
    return frames;
}

/// True for the close codes an endpoint may put on the wire (RFC 6455 7.4, IANA registry).
inline bool sendable_close_code(unsigned code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/// Describe the frames a session of WriterRole wrote ("text:..", "cont:..|more",
/// "ping:..", "close:1000", "close" for a close without code), checking what a
/// writer owes its peer: masking by clients only, a fresh key per frame (RFC
/// 6455 5.1, 5.3), no RSV bits beyond `allowed_rsv`, well-ordered fragments
/// (5.4), a valid close payload (5.5.1, 7.4) and nothing after a close (5.5.1).
template <class WriterRole>
std::vector<std::string> describe_written(std::string_view bytes, std::uint8_t allowed_rsv = 0) {
    std::vector<std::string> out;
    bool closed = false;
    bool fragmenting = false;
    std::optional<mask_key> previous_key;
    for (const auto& f : parse_frames(bytes)) {
        REQUIRE_FALSE(closed);
        REQUIRE(f.masked == WriterRole::masks_output);
        if (f.masked) {
            CHECK(f.key != previous_key); // fresh per frame (a repeat is a 2^-32 event)
            previous_key = f.key;
        }
        REQUIRE((f.rsv & ~allowed_rsv) == 0);
        std::string d;
        switch (f.opcode) {
        case op::text:
        case op::binary:
            REQUIRE_FALSE(fragmenting);
            fragmenting = !f.fin;
            d = (f.opcode == op::text ? "text:" : "binary:") + show(f.payload);
            break;
        case op::continuation:
            REQUIRE(fragmenting);
            REQUIRE(f.rsv == 0);
            fragmenting = !f.fin;
            d = "cont:" + show(f.payload);
            break;
        case op::ping: d = "ping:" + show(f.payload); break;
        case op::pong: d = "pong:" + show(f.payload); break;
        case op::close: {
            closed = true;
            d = "close";
            if (f.payload.empty()) break;
            REQUIRE(f.payload.size() >= 2);
            const unsigned code = (static_cast<unsigned>(static_cast<std::uint8_t>(f.payload[0])) << 8) |
                                  static_cast<std::uint8_t>(f.payload[1]);
            CHECK(sendable_close_code(code));
            CHECK(duplex::frame::is_valid_utf8(std::string_view(f.payload).substr(2)));
            d += ":" + std::to_string(code);
            break;
        }
        default: FAIL("unexpected opcode"); break;
        }
        if (f.opcode >= op::close) REQUIRE(f.rsv == 0);
        if (!f.fin) d += "|more";
        if (f.rsv & rsv1) d += "|rsv1";
        if (f.rsv & rsv2) d += "|rsv2";
        if (f.rsv & rsv3) d += "|rsv3";
        out.push_back(std::move(d));
    }
    return out;
}

/// What a run produced: every event, every frame written back, the final state.
struct outcome {
    std::vector<std::string> events;
    std::vector<std::string> written;
    std::string state = "open";

    bool operator==(const outcome& o) const { return events == o.events && written == o.written && state == o.state; }
    bool operator!=(const outcome& o) const { return !(*this == o); }
};

inline outcome expect(std::vector<std::string> events, std::vector<std::string> written,
                      session_state state = session_state::open) {
    return {std::move(events), std::move(written), describe_state(state)};
}

/// The outcome of a connection the session must fail with `code`, after `events`
/// and `written` (what happened before the violation).
inline outcome expect_failure(std::uint16_t code, std::vector<std::string> events = {},
                              std::vector<std::string> written = {}) {
    events.push_back("fail:" + std::to_string(code));
    written.push_back("close:" + std::to_string(code));
    return expect(std::move(events), std::move(written), session_state::closed);
}

/// "text:<payload>" / "binary:<payload>": an event, or a frame written back.
inline std::string text_msg(std::string_view payload) {
    return "text:" + show(payload);
}
inline std::string binary_msg(std::string_view payload) {
    return "binary:" + show(payload);
}

// ---- driving a session ---------------------------------------------------

/// A session of Role acting as the endpoint under test in Autobahn: every
/// message is echoed with send_message of the same kind (in streaming mode,
/// every part with send_fragment); pings are answered by the session itself.
/// Checks on every event that nothing is reported after the close and that a
/// close leaves the session closed with no message half-read.
template <class Role>
class echo_peer {
public:
    explicit echo_peer(session_options options = {}, bool echo = true) : session_(options), echo_(echo) {}

    /// Feed bytes with feed() and handle every event that becomes ready.
    void feed(std::string_view bytes) {
        session_.feed(bytes);
        drain();
    }
    /// Feed bytes through input_buffer()/commit_input(), as a transport reading in place.
    void feed_in_place(std::string_view bytes) {
        std::uint8_t* target = session_.input_buffer(bytes.size());
        REQUIRE(target != nullptr);
        if (!bytes.empty()) std::memcpy(target, bytes.data(), bytes.size());
        session_.commit_input(bytes.size());
        drain();
    }
    /// The transport ended.
    void transport_closed() {
        const event ev = session_.transport_closed();
        if (ev) record(ev);
        drain();
    }

    /// Events since the last call.
    std::vector<std::string> take_events() {
        std::vector<std::string> fresh(events_.begin() + static_cast<std::ptrdiff_t>(events_taken_), events_.end());
        events_taken_ = events_.size();
        return fresh;
    }
    /// Frames written since the last call.
    std::vector<std::string> take_written() {
        const auto all = describe_written<Role>(written_, allowed_rsv_);
        std::vector<std::string> fresh(all.begin() + static_cast<std::ptrdiff_t>(written_taken_), all.end());
        written_taken_ = all.size();
        return fresh;
    }
    /// The raw bytes written so far.
    const std::string& written_bytes() const noexcept { return written_; }

    outcome result() const {
        return {events_, describe_written<Role>(written_, allowed_rsv_), describe_state(session_.state())};
    }

    session<Role>& get() noexcept { return session_; }
    void set_extension(duplex::protocol::extension* ext, std::uint8_t allowed_rsv) {
        session_.set_extension(ext);
        allowed_rsv_ = allowed_rsv;
    }

private:
    void drain() {
        while (const event ev = session_.next_event())
            record(ev);
        written_.append(session_.output());
        session_.consume_output(session_.output_size());
    }

    void record(const event& ev) {
        REQUIRE_FALSE(close_seen_); // RFC 6455 7.1.7: nothing after the close
        events_.push_back(describe(ev));
        if (ev.type == event::close) {
            close_seen_ = true;
            REQUIRE(session_.state() == session_state::closed);
            CHECK_FALSE(session_.in_message());
            if (ev.protocol_error) {
                const bool expected_code = ev.code == 1002 || ev.code == 1007 || ev.code == 1009;
                CHECK(expected_code);
                CHECK_FALSE(ev.reason.empty());
            }
            return;
        }
        if (!echo_) return;
        std::error_code ec;
        if (ev.type == event::message) ec = session_.send_message(ev.kind, ev.data.data(), ev.data.size());
        if (ev.type == event::message_part)
            ec = session_.send_fragment(ev.kind, ev.data.data(), ev.data.size(), ev.fin);
        // A reply may only be refused once our close went out (RFC 6455 5.5.1).
        if (ec) CHECK((ec == duplex::error::closed && session_.state() != session_state::open));
    }

    session<Role> session_;
    bool echo_;
    std::uint8_t allowed_rsv_ = 0;
    bool close_seen_ = false;
    std::vector<std::string> events_;
    std::size_t events_taken_ = 0;
    std::string written_;
    std::size_t written_taken_ = 0;
};

/// Run `bytes` through a fresh echo_peer cut at `cuts` (increasing offsets).
template <class Role>
outcome run_cut(std::string_view bytes, const std::vector<std::size_t>& cuts, const session_options& options = {},
                bool in_place = false) {
    echo_peer<Role> peer(options);
    std::size_t pos = 0;
    for (std::size_t cut : cuts) {
        if (in_place)
            peer.feed_in_place(bytes.substr(pos, cut - pos));
        else
            peer.feed(bytes.substr(pos, cut - pos));
        pos = cut;
    }
    peer.feed(bytes.substr(pos));
    return peer.result();
}

/// Run `bytes` in reads of `size` bytes (the last one shorter).
template <class Role>
outcome run_reads(std::string_view bytes, std::size_t size, const session_options& options = {},
                  bool in_place = false) {
    std::vector<std::size_t> cuts;
    for (std::size_t pos = size; pos < bytes.size(); pos += size)
        cuts.push_back(pos);
    return run_cut<Role>(bytes, cuts, options, in_place);
}

inline void check_outcome(const outcome& got, const outcome& expected) {
    CHECK(got.events == expected.events);
    CHECK(got.written == expected.written);
    CHECK(got.state == expected.state);
}

/// Every input up to this size is also split in two at every offset.
inline constexpr std::size_t every_split_limit = 2048;

/// Feed `bytes` to a session of Role (1) whole, (2) one byte at a time, (3)
/// split in two at every offset (for longer inputs, at the offsets near both
/// ends and a sample between), and (4) in 3-byte reads through input_buffer();
/// every chunking must give `expected`.
template <class Role>
void expect_every_chunking(std::string_view bytes, const outcome& expected, const session_options& options = {}) {
    {
        INFO("fed whole");
        check_outcome(run_cut<Role>(bytes, {}, options), expected);
    }
    {
        INFO("fed one byte at a time");
        check_outcome(run_reads<Role>(bytes, 1, options), expected);
    }
    {
        INFO("fed in 3-byte reads through input_buffer()");
        check_outcome(run_reads<Role>(bytes, 3, options, true), expected);
    }
    std::vector<std::size_t> splits;
    for (std::size_t split = 1; split < bytes.size(); ++split) {
        const bool near_ends = split <= 40 || bytes.size() - split <= 40;
        if (bytes.size() <= every_split_limit || near_ends || split % 1021 == 0) splits.push_back(split);
    }
    for (std::size_t split : splits) {
        const auto got = run_cut<Role>(bytes, {split}, options);
        if (got == expected) continue;
        INFO("split in two at offset " << split);
        check_outcome(got, expected);
        break; // one report is enough
    }
}

/// A symmetric case: `frames` sent by a client to a server session, and the same
/// frames sent by a server to a client session; both must give `expected`.
inline void expect_both_roles(const std::vector<frame_spec>& frames, const outcome& expected,
                              const session_options& options = {}) {
    {
        INFO("server session, masked input");
        expect_every_chunking<server_role>(wire<server_role>(frames), expected, options);
    }
    {
        INFO("client session, unmasked input");
        expect_every_chunking<client_role>(wire<client_role>(frames), expected, options);
    }
}

/// Deterministic filler: text of ASCII letters, binary of every byte value.
inline std::string text_payload(std::size_t size, unsigned seed = 0) {
    std::string s(size, 'a');
    for (std::size_t i = 0; i < size; ++i)
        s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
    return s;
}
inline std::string binary_payload(std::size_t size, unsigned seed = 0) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        s[i] = static_cast<char>((i * 31 + 17 + seed) & 0xFF);
    return s;
}

/// `payload` as a message of `opcode` in fragments of `size` bytes (one frame if size >= payload).
inline std::vector<frame_spec> fragments(std::uint8_t opcode, std::string_view payload, std::size_t size) {
    std::vector<frame_spec> frames;
    std::size_t pos = 0;
    do {
        const std::size_t n = std::min(size, payload.size() - pos);
        frames.push_back(
            frame(frames.empty() ? opcode : op::continuation, payload.substr(pos, n), pos + n == payload.size()));
        pos += n;
    } while (pos < payload.size());
    return frames;
}

} // namespace duplex_conformance

template <>
struct Catch::StringMaker<duplex_conformance::outcome> {
    static std::string convert(const duplex_conformance::outcome& o) {
        std::string s = "events {";
        for (const auto& e : o.events)
            s += " \"" + e + "\"";
        s += " } written {";
        for (const auto& w : o.written)
            s += " \"" + w + "\"";
        return s + " } state " + o.state;
    }
};
