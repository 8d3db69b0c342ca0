// Definitions of session<Role>; included from duplex/protocol/session.hpp.
#pragma once

#include <duplex/config/system_error.hpp>
#include <duplex/protocol/session.hpp>

#include <algorithm>

namespace duplex::protocol {

template <class Role>
event session<Role>::fail(std::uint16_t code, std::string_view reason) {
    // RFC 6455 7.1.7: _Fail the WebSocket Connection_: send a close (unless one
    // was sent), then drop everything the peer sends.
    if (state_ == session_state::open) {
        std::uint8_t payload[frame::max_control_payload];
        const auto n = frame::encode_close_payload(code, reason, payload);
        write_frame(frame::opcode::close, true, 0, payload, n);
    }
    state_ = session_state::closed;
    in_.clear();
    reading_payload_ = false;
    finish_message();
    event ev;
    ev.type = event::close;
    ev.code = code;
    ev.reason = reason;
    ev.protocol_error = true;
    return ev;
}

template <class Role>
event session<Role>::next_event() {
    while (state_ != session_state::closed) {
        if (reading_payload_) {
            event ev = continue_payload();
            if (ev.type != event::none || reading_payload_) return ev;
            continue; // frame finished without an event: read the next header
        }
        frame::frame_header h;
        const std::uint8_t allowed_rsv = ext_ ? ext_->rsv_bits() : 0;
        const auto r = frame::decode_header<Role>(in_.data(), in_.size(), h, allowed_rsv);
        if (r.status == frame::decode_result::need_more) return {};
        if (r.status == frame::decode_result::invalid) {
            if (r.error == frame::header_error::length_msb_set)
                return fail(close_code::message_too_big, "frame length out of range");
            return fail(close_code::protocol_error, "invalid frame header");
        }
        if (frame::is_control(h.opcode)) {
            if (h.rsv != 0) return fail(close_code::protocol_error, "RSV bits on a control frame");
            const std::size_t total = r.header_size + static_cast<std::size_t>(h.payload_length);
            if (in_.size() < total) return {}; // control frames are at most 127 + 4 bytes: wait for all
            std::uint8_t* payload = in_.data() + r.header_size;
            in_.consume(total); // the bytes stay in place until the next feed()
            event ev = handle_control(h, payload);
            if (ev.type != event::none) return ev;
            continue;
        }
        // RFC 6455 5.4: a continuation needs a started message; a new message may
        // not start inside another.
        if (h.opcode == frame::opcode::continuation) {
            if (!in_message_) return fail(close_code::protocol_error, "continuation without a message");
            if (h.rsv != 0) return fail(close_code::protocol_error, "RSV bits on a continuation frame");
        } else {
            if (in_message_) return fail(close_code::protocol_error, "new message inside a fragmented one");
            in_message_ = true;
            message_kind_ = h.opcode == frame::opcode::text ? message_kind::text : message_kind::binary;
            compressed_ = ext_ != nullptr && h.rsv != 0 && ext_->claims_message(h.rsv);
            if (h.rsv != 0 && !compressed_) return fail(close_code::protocol_error, "unexpected RSV bits");
            utf8_.reset();
            if (buffers_) buffers_->message.clear();
        }
        if (h.payload_length > options_.max_frame_size) return fail(close_code::message_too_big, "frame too big");
        if (!compressed_ && message_size_ + h.payload_length > options_.max_message_size)
            return fail(close_code::message_too_big, "message too big");
        if (++fragments_ > options_.max_fragments) return fail(close_code::message_too_big, "too many fragments");
        message_size_ += static_cast<std::size_t>(h.payload_length);
        in_.consume(r.header_size);
        frame_ = h;
        reading_payload_ = true;
        payload_remaining_ = h.payload_length;
        mask_phase_ = 0;
        // A whole message in one frame is kept in the read buffer and handed out
        // from there: no copy on the common path.
        in_place_ = h.fin && fragments_ == 1 && !compressed_ && !options_.streaming;
        in_place_checked_ = 0;
    }
    return {};
}

template <class Role>
event session<Role>::continue_payload() {
    const std::size_t available = in_.size();
    std::uint8_t* data = in_.data();
    if (in_place_) {
        const std::size_t length = static_cast<std::size_t>(payload_remaining_);
        const std::size_t have = std::min(available, length);
        if (have > in_place_checked_) {
            std::uint8_t* fresh = data + in_place_checked_;
            const std::size_t n = have - in_place_checked_;
            if (frame_.masked) mask_phase_ = frame::apply_mask(fresh, n, frame_.mask_key, mask_phase_);
            if (!validate_text(fresh, n)) return fail(close_code::invalid_payload, "invalid UTF-8");
            in_place_checked_ = have;
        }
        if (have < length) return {};
        if (message_kind_ == message_kind::text && options_.validate_utf8 && !utf8_.complete())
            return fail(close_code::invalid_payload, "invalid UTF-8");
        in_.consume(length);
        reading_payload_ = false;
        finish_message();
        event ev;
        ev.type = event::message;
        ev.kind = message_kind_;
        ev.data = std::string_view(reinterpret_cast<const char*>(data), length);
        return ev;
    }

    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(available, payload_remaining_));
    if (take == 0 && payload_remaining_ > 0) return {};
    if (frame_.masked) mask_phase_ = frame::apply_mask(data, take, frame_.mask_key, mask_phase_);
    in_.consume(take);
    payload_remaining_ -= take;
    const bool frame_done = payload_remaining_ == 0;
    const bool message_done = frame_done && frame_.fin;
    if (frame_done) reading_payload_ = false;

    const std::uint8_t* chunk = data;
    std::size_t chunk_size = take;
    if (compressed_) {
        // Decoded bytes go to the reassembly buffer, or in streaming mode to a
        // scratch buffer handed out as one part.
        duplex::detail::byte_buffer& target = options_.streaming ? buffers().scratch : buffers().message;
        if (options_.streaming) target.clear();
        const std::size_t before = target.size();
        buffer_sink sink(target);
        const std::size_t budget = options_.max_message_size;
        const auto status = ext_->decode(data, take, message_done, budget, sink);
        if (status == extension::decode_status::too_big) return fail(close_code::message_too_big, "message too big");
        if (status == extension::decode_status::error)
            return fail(close_code::invalid_payload, "invalid compressed data");
        chunk = target.data() + before;
        chunk_size = target.size() - before;
        if (!validate_text(chunk, chunk_size)) return fail(close_code::invalid_payload, "invalid UTF-8");
    } else {
        if (!validate_text(chunk, chunk_size)) return fail(close_code::invalid_payload, "invalid UTF-8");
        if (!options_.streaming) buffers().message.append(chunk, chunk_size);
    }
    if (message_done && message_kind_ == message_kind::text && options_.validate_utf8 && !utf8_.complete())
        return fail(close_code::invalid_payload, "invalid UTF-8");

    event ev;
    ev.kind = message_kind_;
    if (options_.streaming) {
        if (chunk_size == 0 && !message_done) return {};
        ev.type = event::message_part;
        ev.fin = message_done;
        ev.data = std::string_view(reinterpret_cast<const char*>(chunk), chunk_size);
    } else {
        if (!message_done) return {};
        ev.type = event::message;
        const auto& message = buffers().message;
        ev.data = std::string_view(reinterpret_cast<const char*>(message.data()), message.size());
    }
    if (message_done) finish_message();
    return ev;
}

template <class Role>
event session<Role>::handle_control(const frame::frame_header& h, std::uint8_t* payload) {
    const auto size = static_cast<std::size_t>(h.payload_length);
    if (h.masked) frame::apply_mask(payload, size, h.mask_key);
    event ev;
    ev.data = std::string_view(reinterpret_cast<const char*>(payload), size);
    switch (h.opcode) {
    case frame::opcode::ping:
        // RFC 6455 5.5.2: answer with a pong carrying the same payload, unless
        // we already sent a close.
        if (options_.auto_pong && state_ == session_state::open)
            write_frame(frame::opcode::pong, true, 0, payload, size);
        ev.type = event::ping;
        return ev;
    case frame::opcode::pong: ev.type = event::pong; return ev;
    case frame::opcode::close: {
        const auto close = frame::parse_close_payload(payload, size);
        if (!close.valid)
            return fail(close.error_code, close.error_code == close_code::invalid_payload
                                              ? "invalid UTF-8 in close reason"
                                              : "invalid close frame");
        if (state_ == session_state::open) {
            // RFC 6455 5.5.1: reply with a close echoing the peer's code.
            std::uint8_t reply[2];
            const auto n = frame::encode_close_payload(close.code, {}, reply);
            write_frame(frame::opcode::close, true, 0, reply, n);
        }
        state_ = session_state::closed;
        in_.clear(); // RFC 6455 1.4: nothing follows a close
        reading_payload_ = false;
        finish_message(); // a message cut short by the close is dropped, not half-held
        ev.type = event::close;
        ev.code = close.code;
        ev.reason = close.reason;
        ev.data = {};
        return ev;
    }
    default: return {};
    }
}

template <class Role>
void session<Role>::write_frame(frame::opcode opcode, bool fin, std::uint8_t rsv, const void* data, std::size_t size) {
    frame::frame_header h;
    h.fin = fin;
    h.rsv = rsv;
    h.opcode = opcode;
    h.payload_length = size;
    h.masked = Role::masks_output;
    if constexpr (Role::masks_output) h.mask_key = frame::make_mask_key();
    std::uint8_t* out = out_.prepare(frame::max_header_size + size);
    const std::size_t header = frame::encode_header(h, out);
    if (size != 0) {
        std::memcpy(out + header, data, size);
        if constexpr (Role::masks_output) frame::apply_mask(out + header, size, h.mask_key);
    }
    out_.commit(header + size);
}

template <class Role>
error_code session<Role>::send_message(message_kind kind, const void* data, std::size_t size, bool compress) {
    if (state_ != session_state::open) return error::closed;
    if (out_fragmenting_) return error::message_in_progress;
    if (kind == message_kind::text && options_.validate_utf8 &&
        !frame::is_valid_utf8(std::string_view(static_cast<const char*>(data), size)))
        return error::invalid_utf8;
    if (compress && ext_ != nullptr) {
        auto& encoded = buffers().encode;
        encoded.clear();
        const std::uint8_t rsv = ext_->encode(static_cast<const std::uint8_t*>(data), size, encoded);
        if (rsv != 0) {
            write_frame(opcode_of(kind), true, rsv, encoded.data(), encoded.size());
            return {};
        }
    }
    write_frame(opcode_of(kind), true, 0, data, size);
    return {};
}

template <class Role>
error_code session<Role>::send_fragment(message_kind kind, const void* data, std::size_t size, bool fin) {
    if (state_ != session_state::open) return error::closed;
    const frame::opcode opcode = out_fragmenting_ ? frame::opcode::continuation : opcode_of(kind);
    write_frame(opcode, fin, 0, data, size);
    out_fragmenting_ = !fin;
    return {};
}

template <class Role>
error_code session<Role>::send_control(frame::opcode op, std::string_view payload) {
    if (state_ != session_state::open) return error::closed;
    if (payload.size() > frame::max_control_payload) return error::control_frame_too_large;
    write_frame(op, true, 0, payload.data(), payload.size());
    return {};
}

template <class Role>
error_code session<Role>::send_close(std::uint16_t code, std::string_view reason) {
    if (state_ != session_state::open) return error::closed;
    const bool no_code = code == 0 || code == close_code::no_status;
    if (!no_code && !frame::is_valid_close_code(code)) return error::invalid_close_code;
    if (reason.size() > frame::max_close_reason || (no_code && !reason.empty()) || !frame::is_valid_utf8(reason))
        return error::invalid_close_reason;
    std::uint8_t payload[frame::max_control_payload];
    const auto n = frame::encode_close_payload(code, reason, payload);
    write_frame(frame::opcode::close, true, 0, payload, n);
    state_ = session_state::closing;
    return {};
}

} // namespace duplex::protocol
