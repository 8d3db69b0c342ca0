// Drives a sans-I/O session (protocol/session.hpp) of Role with fuzz input, as a
// transport and an echoing application would, and checks it at every step:
//  - events obey the limits and RFC 6455: nothing after the close, text is
//    UTF-8, control payloads fit 125 bytes, failures carry 1002/1007/1009;
//  - next_event() writes exactly the pong or close frame the event implies, and
//    every send_* reports the error its state calls for, writing nothing then;
//  - nothing at all is written once the session is closed;
//  - everything written is well-formed for Role, and a peer session of the
//    other role (with the mirrored permessage-deflate agreement) reads back
//    exactly the messages, pings, pongs and close that were sent;
//  - a twin session fed the same bytes in one piece reports the same messages;
//  - with permessage-deflate, a browser's decoder (one inflate stream for the
//    connection whatever was agreed, support/browser_inflater.hpp) reads every
//    message that went out: no message may end the DEFLATE stream.
//
// Input: three setting bytes, then records.
//   byte 0: bit 0 permessage-deflate negotiated, bit 1 streaming, bit 2
//           validate_utf8 off, bit 3 auto_pong off, bit 4 echo off, bits 5-6
//           limits, bit 7 input through input_buffer()/commit_input()
//   byte 1: deflate agreement: bits 0-2 send window 9 + n % 7, bits 3-5 receive
//           window 8 + n, bit 6 send_no_context_takeover, bit 7 receive_no_context_takeover
//   byte 2: bits 0-1 deflate threshold, 2-3 level, 4-5 memory level, bit 6
//           take output with swap_output()
//   records: [n > 0][n bytes] feeds the next n bytes as one read;
//            [0][action][argument] makes the application send or close (see act()).
#pragma once

#include <duplex/protocol/session.hpp>

#if DUPLEX_HAS_ZLIB
#include <duplex/extensions/permessage_deflate.hpp>

#include "support/browser_inflater.hpp"
#endif

#include "fuzz_target.hpp"
#include "reference.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace duplex_fuzz {

using duplex::protocol::event;
using duplex::protocol::message_kind;
using duplex::protocol::session_options;
using duplex::protocol::session_state;

template <class Role>
class session_driver {
public:
    using peer_role = std::conditional_t<Role::is_client, duplex::server_role, duplex::client_role>;

    session_driver(const std::uint8_t* data, std::size_t size) : in_(data, size) {
        const std::uint8_t flags = in_.byte();
        const std::uint8_t agreement_bits = in_.byte();
        const std::uint8_t extra = in_.byte();
        deflate_ = (flags & 0x01) != 0;
        options_.streaming = (flags & 0x02) != 0;
        options_.validate_utf8 = (flags & 0x04) == 0;
        options_.auto_pong = (flags & 0x08) == 0;
        echo_ = (flags & 0x10) == 0;
        static constexpr std::size_t message_limits[4] = {1 << 20, 1 << 16, 1000, 10};
        static constexpr std::size_t frame_limits[4] = {1 << 20, 4096, 1 << 16, 10};
        static constexpr std::size_t fragment_limits[4] = {4096, 8, 64, 3};
        const unsigned limits = (flags >> 5) & 3u;
        options_.max_message_size = message_limits[limits];
        options_.max_frame_size = frame_limits[limits];
        options_.max_fragments = fragment_limits[limits];
        in_place_ = (flags & 0x80) != 0;
        swap_output_ = (extra & 0x40) != 0;
        session_ = std::make_unique<duplex::protocol::session<Role>>(options_);
#if DUPLEX_HAS_ZLIB
        if (deflate_) {
            duplex::extensions::deflate_agreement mine;
            mine.send_window_bits = 9 + (agreement_bits & 7) % 7;
            mine.receive_window_bits = 8 + ((agreement_bits >> 3) & 7);
            mine.send_no_context_takeover = (agreement_bits & 0x40) != 0;
            mine.receive_no_context_takeover = (agreement_bits & 0x80) != 0;
            static constexpr std::size_t thresholds[4] = {0, 1, 64, 1000};
            static constexpr int levels[4] = {0, 1, 6, 9};
            static constexpr int memory_levels[4] = {1, 4, 8, 9};
            duplex::extensions::deflate_options settings;
            settings.threshold = thresholds[extra & 3];
            settings.compression_level = levels[(extra >> 2) & 3];
            settings.memory_level = memory_levels[(extra >> 4) & 3];
            extension_ = std::make_unique<duplex::extensions::permessage_deflate>(mine, settings);
            deflate_settings_ = settings;
            // The peer decompresses with our compressor's terms.
            duplex::extensions::deflate_agreement theirs;
            theirs.send_window_bits = mine.receive_window_bits < 9 ? 9 : mine.receive_window_bits;
            theirs.receive_window_bits = mine.send_window_bits;
            theirs.send_no_context_takeover = mine.receive_no_context_takeover;
            theirs.receive_no_context_takeover = mine.send_no_context_takeover;
            peer_extension_ = std::make_unique<duplex::extensions::permessage_deflate>(theirs, settings);
            session_->set_extension(extension_.get());
        }
#else
        (void)agreement_bits;
        deflate_ = false;
#endif
    }

    void run() {
        while (!in_.empty()) {
            const std::uint8_t n = in_.byte();
            if (n == 0) {
                const std::uint8_t action = in_.byte();
                const std::uint8_t argument = in_.byte();
                act(action, argument);
            } else {
                feed(in_.bytes(n));
            }
            drain();
        }
        drain();
        transport_closed();
        check_wire();
        check_peer();
        check_twin();
    }

private:
    struct event_record {
        event::type_t type;
        message_kind kind;
        std::string data;
        std::uint16_t code;
        std::string reason;
        bool operator==(const event_record& o) const {
            return type == o.type && kind == o.kind && data == o.data && code == o.code && reason == o.reason;
        }
    };

    // ---- input -------------------------------------------------------------

    void feed(std::string_view bytes) {
        if (bytes.empty()) return; // the input ended inside a record
        if (!transport_ended_) fed_.append(bytes);
        if (in_place_) {
            std::uint8_t* target = session_->input_buffer(bytes.size());
            DUPLEX_FUZZ_CHECK(target != nullptr);
            std::memcpy(target, bytes.data(), bytes.size());
            session_->commit_input(bytes.size());
        } else {
            session_->feed(bytes);
        }
    }

    void drain() {
        for (;;) {
            collect();
            const session_state before = session_->state();
            const std::size_t written_before = wire_.size();
            const event ev = session_->next_event();
            collect();
            const std::string_view written = std::string_view(wire_).substr(written_before);
            check_state();
            if (!ev) {
                DUPLEX_FUZZ_CHECK(written.empty());
                return;
            }
            on_event(ev, before, written);
        }
    }

    // ---- checks on what the session reports --------------------------------

    void on_event(const event& ev, session_state before, std::string_view written) {
        DUPLEX_FUZZ_CHECK(!close_seen_); // RFC 6455 7.1.7: nothing after the close
        received_.add(ev);
        const auto frames = reference::parse_frames(written);
        DUPLEX_FUZZ_CHECK(frames.has_value());
        switch (ev.type) {
        case event::message:
            DUPLEX_FUZZ_CHECK(!options_.streaming);
            DUPLEX_FUZZ_CHECK(ev.data.size() <= options_.max_message_size);
            if (ev.is_text() && options_.validate_utf8) DUPLEX_FUZZ_CHECK(reference::is_valid_utf8(ev.data));
            DUPLEX_FUZZ_CHECK(frames->empty());
            DUPLEX_FUZZ_CHECK(!session_->in_message());
            if (echo_) echo_message(ev);
            break;
        case event::message_part:
            DUPLEX_FUZZ_CHECK(options_.streaming);
            DUPLEX_FUZZ_CHECK(!ev.data.empty() || ev.fin);
            if (in_part_message_) DUPLEX_FUZZ_CHECK(ev.kind == part_kind_);
            in_part_message_ = !ev.fin;
            part_kind_ = ev.kind;
            part_bytes_ += ev.data.size();
            DUPLEX_FUZZ_CHECK(part_bytes_ <= options_.max_message_size);
            if (ev.is_text() && options_.validate_utf8) part_text_.append(ev.data);
            if (ev.fin) {
                if (ev.is_text() && options_.validate_utf8) DUPLEX_FUZZ_CHECK(reference::is_valid_utf8(part_text_));
                part_text_.clear();
                part_bytes_ = 0;
            }
            DUPLEX_FUZZ_CHECK(frames->empty());
            if (echo_) echo_part(ev);
            break;
        case event::ping:
        case event::pong: {
            DUPLEX_FUZZ_CHECK(ev.data.size() <= duplex::frame::max_control_payload);
            const bool answered = ev.type == event::ping && options_.auto_pong && before == session_state::open;
            DUPLEX_FUZZ_CHECK(frames->size() == (answered ? 1u : 0u));
            if (answered) {
                DUPLEX_FUZZ_CHECK((*frames)[0].opcode == 0xA && (*frames)[0].payload == ev.data);
                expect({event::pong, message_kind::binary, std::string(ev.data), 0, {}});
            }
            break;
        }
        case event::close: {
            close_seen_ = true;
            DUPLEX_FUZZ_CHECK(session_->state() == session_state::closed);
            DUPLEX_FUZZ_CHECK(!session_->in_message() && session_->input_idle());
            DUPLEX_FUZZ_CHECK(reference::is_valid_utf8(ev.reason));
            DUPLEX_FUZZ_CHECK(ev.reason.size() <= duplex::frame::max_close_reason);
            std::string reply; // the close frame payload we must have answered with
            if (ev.protocol_error) {
                DUPLEX_FUZZ_CHECK(ev.code == 1002 || ev.code == 1007 || ev.code == 1009);
                DUPLEX_FUZZ_CHECK(!ev.reason.empty());
                reply = close_payload(ev.code, ev.reason);
            } else {
                DUPLEX_FUZZ_CHECK(duplex::frame::is_valid_close_code(ev.code) ||
                                  ev.code == duplex::close_code::no_status);
                reply = close_payload(ev.code, {});
            }
            const bool answered = before == session_state::open;
            DUPLEX_FUZZ_CHECK(frames->size() == (answered ? 1u : 0u));
            if (answered) {
                DUPLEX_FUZZ_CHECK((*frames)[0].opcode == 0x8 && (*frames)[0].payload == reply);
                expect({event::close,
                        message_kind::binary,
                        {},
                        ev.code,
                        ev.protocol_error ? std::string(ev.reason) : std::string()});
            }
            break;
        }
        case event::none: break;
        }
    }

    static std::string close_payload(std::uint16_t code, std::string_view reason) {
        if (code == duplex::close_code::no_status) return {};
        std::string p;
        p += static_cast<char>(code >> 8);
        p += static_cast<char>(code & 0xFF);
        p += reason;
        return p;
    }

    // The state only moves forward: open, closing, closed.
    void check_state() {
        const auto rank = static_cast<int>(session_->state());
        DUPLEX_FUZZ_CHECK(rank >= last_state_rank_);
        last_state_rank_ = rank;
        if (session_->state() == session_state::closing) DUPLEX_FUZZ_CHECK(close_sent_);
        if (session_->state() == session_state::closed) {
            DUPLEX_FUZZ_CHECK(!session_->in_message());
            DUPLEX_FUZZ_CHECK(session_->should_close_transport()); // output was just taken
        }
    }

    // ---- output --------------------------------------------------------------

    // Take what the session wrote, as a transport would. Nothing may be written
    // once the session was closed.
    void collect() {
        const std::size_t before = wire_.size();
        if (swap_output_) {
            duplex::detail::byte_buffer taken;
            session_->swap_output(taken);
            wire_.append(reinterpret_cast<const char*>(taken.data()), taken.size());
        } else {
            wire_.append(session_->output());
            session_->consume_output(session_->output_size());
        }
        DUPLEX_FUZZ_CHECK(session_->output_size() == 0);
        if (closed_at_last_collect_) DUPLEX_FUZZ_CHECK(wire_.size() == before);
        closed_at_last_collect_ = session_->state() == session_state::closed;
    }

    void expect(event_record e) {
        expected_.push_back(std::move(e));
    }

    // What a send must return, given the state (the order of the checks in session.hpp).
    std::error_code expected_send_error(bool whole_message) const {
        if (session_->state() != session_state::open) return duplex::error::closed;
        if (whole_message && out_fragmenting_) return duplex::error::message_in_progress;
        return {};
    }

    void check_send(std::error_code got, std::error_code expected, std::size_t written_before) {
        DUPLEX_FUZZ_CHECK(got == expected);
        collect();
        DUPLEX_FUZZ_CHECK((wire_.size() > written_before) == !got);
    }

    void send_whole(message_kind kind, std::string payload, bool compress) {
        const std::size_t before = wire_.size();
        const auto expected = expected_send_error(true);
        if constexpr (!Role::masks_output) {
            // The gathered-write header matches the frame send_message writes.
            std::uint8_t header[duplex::frame::max_header_size];
            const std::size_t n = session_->write_message_header(kind, payload.size(), header);
            DUPLEX_FUZZ_CHECK((n != 0) == !expected);
            if (n != 0 && (!compress || !deflate_)) {
                const std::error_code ec = session_->send_message(kind, payload.data(), payload.size(), compress);
                check_send(ec, expected, before);
                DUPLEX_FUZZ_CHECK(wire_.compare(before, n, reinterpret_cast<const char*>(header), n) == 0);
                expect({event::message, kind, std::move(payload), 0, {}});
                return;
            }
        }
        const std::error_code ec = session_->send_message(kind, payload.data(), payload.size(), compress);
        check_send(ec, expected, before);
        if (!ec) expect({event::message, kind, std::move(payload), 0, {}});
    }

    void send_part(message_kind kind, std::string_view payload, bool fin) {
        const std::size_t before = wire_.size();
        const std::error_code ec = session_->send_fragment(kind, payload.data(), payload.size(), fin);
        check_send(ec, expected_send_error(false), before);
        if (ec) return;
        if (!out_fragmenting_) out_kind_ = kind;
        out_message_.append(payload);
        out_fragmenting_ = !fin;
        if (fin) {
            expect({event::message, out_kind_, std::move(out_message_), 0, {}});
            out_message_.clear();
        }
    }

    void echo_message(const event& ev) {
        send_whole(ev.kind, std::string(ev.data), true);
    }

    void echo_part(const event& ev) {
        send_part(ev.kind, ev.data, ev.fin);
        echo_streaming_ = session_->state() == session_state::open && !ev.fin;
    }

    // ---- the application's own calls ---------------------------------------

    static std::string text_of(std::size_t size) {
        static constexpr std::string_view pieces[4] = {"a", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};
        std::string s;
        for (std::size_t i = 0; s.size() < size; ++i)
            s += pieces[i % 4];
        return s;
    }
    static std::string bytes_of(std::size_t size, std::uint8_t seed) {
        std::string s(size, '\0');
        for (std::size_t i = 0; i < size; ++i)
            s[i] = static_cast<char>((i * 31 + seed) & 0xFF);
        return s;
    }

    void act(std::uint8_t action, std::uint8_t argument) {
        switch (action % 8) {
        case 0: send_whole(message_kind::text, text_of(argument * 3u), (argument & 1) != 0); break;
        case 1: send_whole(message_kind::binary, bytes_of(argument * 5u, argument), (argument & 1) != 0); break;
        case 2:
        case 3: {
            const bool ping = action % 8 == 2;
            const std::string payload = bytes_of(argument % 131u, argument);
            const std::size_t before = wire_.size();
            const std::error_code ec = ping ? session_->send_ping(payload) : session_->send_pong(payload);
            std::error_code expected = expected_send_error(false);
            if (!expected && payload.size() > duplex::frame::max_control_payload)
                expected = duplex::error::control_frame_too_large;
            check_send(ec, expected, before);
            if (!ec) expect({ping ? event::ping : event::pong, message_kind::binary, payload, 0, {}});
            break;
        }
        case 4: send_close(argument); break;
        case 5: transport_closed(); break;
        case 6:
            session_->release_idle_buffers();
            if (session_->output_size() == 0 && session_->input_idle())
                DUPLEX_FUZZ_CHECK(session_->buffer_capacity() == 0); // idle connections hold no buffers
            break;
        case 7:
            // Binary only, and not inside an echoed stream, so what the peer
            // reassembles stays valid UTF-8 whenever the session checks it.
            if (!echo_streaming_) send_part(message_kind::binary, bytes_of(argument, argument), (argument & 1) != 0);
            break;
        }
    }

    void send_close(std::uint8_t argument) {
        static constexpr std::uint16_t codes[16] = {1000, 1001, 1002, 1003, 1005, 1006, 1007, 1011,
                                                    1015, 3000, 4999, 0,    999,  2999, 5000, 1004};
        static constexpr std::string_view reasons[4] = {
            "", "bye", "\xFF not UTF-8",
            "a reason of 124 bytes, one more than fits a close frame (RFC 6455 5.5) ............................"
            "........................."};
        const std::uint16_t code = codes[argument % 16];
        const std::string_view reason = reasons[(argument >> 4) % 4];
        const bool no_code = code == 0 || code == duplex::close_code::no_status;
        std::error_code expected = expected_send_error(false);
        if (!expected && !no_code && !duplex::frame::is_valid_close_code(code))
            expected = duplex::error::invalid_close_code;
        if (!expected && (reason.size() > duplex::frame::max_close_reason || (no_code && !reason.empty()) ||
                          !reference::is_valid_utf8(reason)))
            expected = duplex::error::invalid_close_reason;
        const std::size_t before = wire_.size();
        const std::error_code ec = session_->send_close(code, reason);
        check_send(ec, expected, before);
        if (ec) return;
        close_sent_ = true;
        DUPLEX_FUZZ_CHECK(session_->state() == session_state::closing);
        expect({event::close,
                message_kind::binary,
                {},
                no_code ? duplex::close_code::no_status : code,
                std::string(no_code ? std::string_view() : reason)});
    }

    void transport_closed() {
        transport_ended_ = true;
        const bool was_closed = session_->state() == session_state::closed;
        const event ev = session_->transport_closed();
        collect();
        check_state();
        DUPLEX_FUZZ_CHECK(session_->state() == session_state::closed);
        if (was_closed) {
            DUPLEX_FUZZ_CHECK(!ev);
            return;
        }
        DUPLEX_FUZZ_CHECK(!close_seen_);
        DUPLEX_FUZZ_CHECK(ev.type == event::close && ev.code == duplex::close_code::abnormal && !ev.protocol_error);
        close_seen_ = true;
        // Input after the end is dropped.
        session_->feed("\x81\x00", 2);
        DUPLEX_FUZZ_CHECK(!session_->next_event());
    }

    // ---- the peer's view -------------------------------------------------------

    // Frame by frame, what went out is well-formed for Role: masked by clients
    // only, RSV1 only on the first frame of a compressed message, continuations
    // only inside a message, and nothing after the close.
    void check_wire() {
        const auto frames = reference::parse_frames(wire_);
        DUPLEX_FUZZ_CHECK(frames.has_value());
        bool fragmenting = false, closed = false;
#if DUPLEX_HAS_ZLIB
        std::unique_ptr<duplex_test::browser_inflater> browser;
        if (extension_)
            browser = std::make_unique<duplex_test::browser_inflater>(extension_->agreement().send_window_bits);
        std::vector<std::string> browser_saw; // every whole data message, as the browser reads it
#endif
        for (const auto& f : *frames) {
            DUPLEX_FUZZ_CHECK(!closed);
            DUPLEX_FUZZ_CHECK(f.masked == Role::masks_output);
            if (f.opcode == 0x8) closed = true;
            if (f.opcode >= 0x8) {
                DUPLEX_FUZZ_CHECK(f.rsv == 0);
                continue;
            }
            if (f.opcode == 0x0) {
                DUPLEX_FUZZ_CHECK(fragmenting && f.rsv == 0);
            } else {
                DUPLEX_FUZZ_CHECK(!fragmenting);
                DUPLEX_FUZZ_CHECK(f.rsv == 0 || (deflate_ && f.rsv == 0x40 && f.fin));
            }
            fragmenting = !f.fin;
#if DUPLEX_HAS_ZLIB
            if (f.opcode != 0x0) browser_saw.emplace_back();
            if (f.rsv == 0x40) {
                const auto decoded = browser->message(f.payload);
                DUPLEX_FUZZ_CHECK(decoded.has_value());
                browser_saw.back() = *decoded;
            } else {
                browser_saw.back() += f.payload;
            }
#endif
        }
#if DUPLEX_HAS_ZLIB
        // What the browser read is what was sent, message by message (a
        // message the close cut short is not in expected_).
        std::size_t next = 0;
        for (const auto& e : expected_) {
            if (e.type != event::message) continue;
            DUPLEX_FUZZ_CHECK(next < browser_saw.size() && browser_saw[next] == e.data);
            ++next;
        }
#endif
    }

    void check_peer() {
        session_options options;
        options.max_message_size = options.max_frame_size = std::size_t{1} << 30;
        options.max_fragments = ~std::size_t{0};
        options.auto_pong = false;
        options.validate_utf8 = options_.validate_utf8;
        duplex::protocol::session<peer_role> peer(options);
#if DUPLEX_HAS_ZLIB
        if (peer_extension_) peer.set_extension(peer_extension_.get());
#endif
        peer.feed(wire_);
        std::vector<event_record> seen;
        while (const event ev = peer.next_event()) {
            DUPLEX_FUZZ_CHECK(!ev.protocol_error);
            seen.push_back({ev.type, ev.type == event::message ? ev.kind : message_kind::binary, std::string(ev.data),
                            ev.code, std::string(ev.reason)});
        }
        DUPLEX_FUZZ_CHECK(seen == expected_);
    }

    // What a session reported, with streamed parts joined into whole messages
    // (how a message is cut into parts depends on the reads; its bytes do not).
    // A message cut short by the close is left out.
    struct received_events {
        std::vector<event_record> events;
        bool in_message = false;
        message_kind kind = message_kind::binary;
        std::string parts;

        void add(const event& ev) {
            if (ev.type == event::message_part) {
                if (!in_message) kind = ev.kind;
                in_message = !ev.fin;
                parts.append(ev.data);
                if (ev.fin) {
                    events.push_back({event::message, kind, std::move(parts), 0, {}});
                    parts.clear();
                }
                return;
            }
            if (ev.protocol_error) {
                // Which fault of a bad message is seen first may depend on the reads:
                // invalid UTF-8 (1007) in the part inflated so far, or too big (1009).
                const std::uint16_t code = ev.code == 1009 ? std::uint16_t{1007} : ev.code;
                events.push_back({event::close, message_kind::binary, {}, code, "failed"});
                return;
            }
            events.push_back({ev.type, ev.type == event::message ? ev.kind : message_kind::binary, std::string(ev.data),
                              ev.code, std::string(ev.reason)});
        }
    };

    // A twin session given every byte the session got, in one read and through
    // feed(), reports the same: the chunking and the input path change nothing.
    void check_twin() {
        duplex::protocol::session<Role> twin(options_);
#if DUPLEX_HAS_ZLIB
        std::unique_ptr<duplex::extensions::permessage_deflate> twin_extension;
        if (extension_) {
            // zlib notices a back-reference beyond a window under 15 bits only when it
            // also reaches past what the same inflate() call wrote, so a peer breaking
            // its window is caught or not depending on the reads: compare only at 15.
            if (extension_->agreement().receive_window_bits < 15) return;
            twin_extension =
                std::make_unique<duplex::extensions::permessage_deflate>(extension_->agreement(), deflate_settings_);
            twin.set_extension(twin_extension.get());
        }
#endif
        twin.feed(fed_);
        received_events seen;
        while (const event ev = twin.next_event())
            seen.add(ev);
        DUPLEX_FUZZ_CHECK(seen.events == received_.events);
    }

    input_reader in_;
    session_options options_;
    bool deflate_ = false, echo_ = true, in_place_ = false, swap_output_ = false;
    std::unique_ptr<duplex::protocol::session<Role>> session_;
#if DUPLEX_HAS_ZLIB
    std::unique_ptr<duplex::extensions::permessage_deflate> extension_, peer_extension_;
    duplex::extensions::deflate_options deflate_settings_;
#endif

    std::string wire_; // everything the session wrote
    std::string fed_;  // everything it was given before the transport ended
    bool transport_ended_ = false;
    received_events received_;
    bool closed_at_last_collect_ = false;
    bool close_seen_ = false, close_sent_ = false;
    int last_state_rank_ = 0;
    std::vector<event_record> expected_; // what the peer must see, in order

    // the received message being streamed
    bool in_part_message_ = false;
    message_kind part_kind_ = message_kind::binary;
    std::size_t part_bytes_ = 0;
    std::string part_text_;
    bool echo_streaming_ = false;

    // the outgoing fragmented message
    bool out_fragmenting_ = false;
    message_kind out_kind_ = message_kind::binary;
    std::string out_message_;
};

} // namespace duplex_fuzz
