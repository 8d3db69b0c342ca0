// Drives a sans-I/O session through a case in several chunkings and describes
// what happened as comparable strings, the way the Autobahn testsuite judges an
// echo server: which events, which frames went back, the final state.
#pragma once

#include <duplex/frame/frame_header.hpp>
#include <duplex/protocol/session.hpp>

#include "support/catch.hpp"
#include "support/wire.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace duplex_test {

struct outcome {
    std::vector<std::string> events;  ///< what the session reported
    std::vector<std::string> written; ///< frames it wrote, decoded
    duplex::protocol::session_state state = duplex::protocol::session_state::open;

    bool operator==(const outcome& o) const { return events == o.events && written == o.written && state == o.state; }
};

inline std::string describe_payload(std::string_view data) {
    if (data.size() <= 40) return std::string(data);
    std::uint64_t h = 1469598103934665603ull; // FNV-1a: long payloads compare by size and hash
    for (char c : data)
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    return "<" + std::to_string(data.size()) + " bytes #" + std::to_string(h % 1000003) + ">";
}

inline std::string describe(const duplex::protocol::event& ev) {
    using duplex::protocol::event;
    const char* kind = ev.kind == duplex::protocol::message_kind::text ? "text:" : "binary:";
    switch (ev.type) {
    case event::message: return kind + describe_payload(ev.data);
    case event::message_part: return std::string("part-") + kind + describe_payload(ev.data) + (ev.fin ? "|fin" : "");
    case event::ping: return "ping:" + describe_payload(ev.data);
    case event::pong: return "pong:" + describe_payload(ev.data);
    case event::close: return "close:" + std::to_string(ev.code) + (ev.protocol_error ? "!" : "");
    default: return "none";
    }
}

/// Decode frames written by a session of the other role (masked or not).
inline std::vector<std::string> decode_written(const std::string& wire) {
    std::vector<std::string> frames;
    std::size_t pos = 0;
    while (pos < wire.size()) {
        const auto* p = reinterpret_cast<const std::uint8_t*>(wire.data()) + pos;
        duplex::frame::frame_header h;
        // Accept masked or unmasked output: try the server's view, then the client's.
        auto r = duplex::frame::decode_header<duplex::client_role>(p, wire.size() - pos, h, 0x70);
        if (r.status == duplex::frame::decode_result::invalid)
            r = duplex::frame::decode_header<duplex::server_role>(p, wire.size() - pos, h, 0x70);
        REQUIRE(r.status == duplex::frame::decode_result::complete);
        std::string payload = wire.substr(pos + r.header_size, static_cast<std::size_t>(h.payload_length));
        if (h.masked)
            for (std::size_t i = 0; i < payload.size(); ++i)
                payload[i] = static_cast<char>(payload[i] ^ h.mask_key[i % 4]);
        std::string d;
        switch (h.opcode) {
        case duplex::frame::opcode::text: d = "text:" + describe_payload(payload); break;
        case duplex::frame::opcode::binary: d = "binary:" + describe_payload(payload); break;
        case duplex::frame::opcode::continuation: d = "cont:" + describe_payload(payload); break;
        case duplex::frame::opcode::ping: d = "ping:" + describe_payload(payload); break;
        case duplex::frame::opcode::pong: d = "pong:" + describe_payload(payload); break;
        case duplex::frame::opcode::close:
            d = "close:" + (payload.size() >= 2 ? std::to_string((static_cast<unsigned char>(payload[0]) << 8) |
                                                                 static_cast<unsigned char>(payload[1]))
                                                : std::string());
            break;
        }
        if (!h.fin) d += "|more";
        if (h.rsv) d += "|rsv";
        frames.push_back(d);
        pos += r.header_size + static_cast<std::size_t>(h.payload_length);
    }
    return frames;
}

/// Feed `chunks` to a session of Role that echoes every message back, as
/// Autobahn expects of the endpoint under test.
template <class Role>
outcome run_session(const std::vector<std::string>& chunks, duplex::protocol::session_options options = {},
                    bool echo = true) {
    duplex::protocol::session<Role> s(options);
    outcome out;
    for (const auto& chunk : chunks) {
        s.feed(chunk);
        while (auto ev = s.next_event()) {
            out.events.push_back(describe(ev));
            if (echo && ev.type == duplex::protocol::event::message)
                s.send_message(ev.kind, ev.data.data(), ev.data.size());
        }
    }
    out.written = decode_written(std::string(s.output()));
    out.state = s.state();
    return out;
}

/// Run `wire` whole, in 1-byte chunks and (when short) split in two at every
/// offset; every chunking must give `expected`.
template <class Role = duplex::server_role>
void check_all_chunkings(const std::string& wire, const outcome& expected,
                         duplex::protocol::session_options options = {}) {
    {
        INFO("fed whole");
        const auto got = run_session<Role>({wire}, options);
        CHECK(got.events == expected.events);
        CHECK(got.written == expected.written);
        CHECK(got.state == expected.state);
    }
    if (wire.size() <= 300000) {
        std::vector<std::string> bytes;
        bytes.reserve(wire.size());
        for (char c : wire)
            bytes.emplace_back(1, c);
        INFO("fed byte by byte");
        const auto got = run_session<Role>(bytes, options);
        CHECK(got.events == expected.events);
        CHECK(got.written == expected.written);
    }
    if (wire.size() <= 600) {
        for (std::size_t split = 1; split < wire.size(); ++split) {
            INFO("split at " << split);
            const auto got = run_session<Role>({wire.substr(0, split), wire.substr(split)}, options);
            REQUIRE(got.events == expected.events);
            REQUIRE(got.written == expected.written);
        }
    }
}

inline outcome expect(std::vector<std::string> events, std::vector<std::string> written,
                      duplex::protocol::session_state state = duplex::protocol::session_state::open) {
    return {std::move(events), std::move(written), state};
}

} // namespace duplex_test
