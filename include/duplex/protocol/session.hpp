/// @file
/// The sans-I/O WebSocket connection state machine (RFC 6455 5-7).
///
/// Bytes in, events and bytes out; no sockets, clocks or threads. The shape is
/// that of python's wsproto/h11:
///
/// @code
///     session<server_role> s;
///     s.feed(bytes, n);                        // whatever arrived, any chunking
///     while (auto ev = s.next_event()) { ... } // messages, pings, pongs, close
///     s.send_text("hi");                       // frames appended to the output
///     write(s.output_data(), s.output_size()); s.consume_output(n);
/// @endcode
///
/// The opening handshake happens before, with duplex/handshake; bytes that
/// arrived behind it are fed here.
#pragma once

#include <duplex/config/system_error.hpp>
#include <duplex/detail/byte_buffer.hpp>
#include <duplex/error.hpp>
#include <duplex/frame/close_code.hpp>
#include <duplex/frame/frame_header.hpp>
#include <duplex/frame/mask.hpp>
#include <duplex/frame/mask_key.hpp>
#include <duplex/frame/role.hpp>
#include <duplex/frame/utf8_validator.hpp>
#include <duplex/protocol/event.hpp>
#include <duplex/protocol/extension.hpp>
#include <duplex/protocol/session_options.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace duplex::protocol {

/// Where a connection is in its life (RFC 6455 4-7).
enum class session_state : std::uint8_t {
    open,    ///< data flows both ways
    closing, ///< we sent a close frame and wait for the peer's
    closed,  ///< both closes exchanged, or the connection failed; close the transport
};

/// One WebSocket connection's protocol state for Role (server_role or client_role).
///
/// It starts open: the opening handshake happened before (server_upgrade,
/// client_upgrade). A peer's protocol violation is not an error: next_event()
/// returns a close event with protocol_error set and queues the close frame
/// (RFC 6455 7.1.7). A local misuse, such as a send after the close, returns
/// an error code from the send function and queues nothing.
/// @tparam Role server_role or client_role.
/// @par Thread safety
/// Not thread-safe: one thread (or strand) drives it.
template <class Role>
class session {
public:
    /// An open session with these limits.
    explicit session(session_options options = {}) : options_(options) {}

    session(const session&) = delete;
    session& operator=(const session&) = delete;
    /// Movable, buffers and all; not copyable.
    session(session&&) noexcept = default;
    /// Movable, buffers and all; not copyable.
    session& operator=(session&&) noexcept = default;

    // ---- input ---------------------------------------------------------

    /// Hand received bytes to the session (copied). Invalidates earlier event views.
    void feed(const void* data, std::size_t size) {
        if (state_ == session_state::closed) return; // input after failure/close is dropped
        in_.append(data, size);
    }
    /// Hand received bytes to the session; see the overload above.
    void feed(std::string_view bytes) { feed(bytes.data(), bytes.size()); }

    /// Zero-copy input: space for up to `size` bytes to receive into directly.
    /// Invalidates earlier event views.
    std::uint8_t* input_buffer(std::size_t size) { return in_.prepare(size); }
    /// Declare `size` bytes written into input_buffer().
    void commit_input(std::size_t size) noexcept {
        if (state_ != session_state::closed) in_.commit(size);
    }

    /// Parse buffered input and return the next event, or an event of type
    /// `none` when more bytes are needed. A peer's protocol violation yields a
    /// close event with protocol_error set and a close frame in the output.
    event next_event();

    /// The transport ended. Returns the final close event (1006 if no close
    /// handshake completed), or none if the session had already closed.
    event transport_closed() {
        if (state_ == session_state::closed) return {};
        state_ = session_state::closed;
        in_.clear();
        reading_payload_ = false;
        finish_message();
        event ev;
        ev.type = event::close;
        ev.code = close_code::abnormal;
        return ev;
    }

    // ---- output --------------------------------------------------------

    /// Queue a whole text message (must be UTF-8; checked when validate_utf8 is on).
    error_code send_text(std::string_view text, bool compress = true) {
        return send_message(message_kind::text, text.data(), text.size(), compress);
    }
    /// Queue a whole binary message.
    error_code send_binary(const void* data, std::size_t size, bool compress = true) {
        return send_message(message_kind::binary, data, size, compress);
    }
    /// Queue a whole binary message; see send_message().
    error_code send_binary(std::string_view bytes, bool compress = true) {
        return send_binary(bytes.data(), bytes.size(), compress);
    }
    /// Queue a whole message of the given kind, as one frame. `compress` false
    /// skips the negotiated extension for this message.
    /// @return error::closed once a close was sent or received,
    /// error::message_in_progress while a send_fragment() message is unfinished,
    /// error::invalid_utf8 for text that is not UTF-8 (with validate_utf8);
    /// nothing is queued then.
    error_code send_message(message_kind kind, const void* data, std::size_t size, bool compress = true);

    /// Queue one fragment of a message (RFC 6455 5.4): the first call starts a
    /// message of `kind`, later ones continue it, `fin` ends it. Fragmented
    /// messages are sent without extension encoding, and text fragments are
    /// not checked for UTF-8.
    /// @return error::closed once a close was sent or received.
    error_code send_fragment(message_kind kind, const void* data, std::size_t size, bool fin);

    /// Queue a ping (RFC 6455 5.5.2); the peer answers with a pong carrying the same payload.
    /// @return error::control_frame_too_large over 125 bytes; error::closed once a close was sent or received.
    error_code send_ping(std::string_view payload = {}) { return send_control(frame::opcode::ping, payload); }
    /// Queue an unsolicited pong, a one-way heartbeat (RFC 6455 5.5.3). Pings are
    /// answered without this when auto_pong is on. Errors as for send_ping().
    error_code send_pong(std::string_view payload = {}) { return send_control(frame::opcode::pong, payload); }

    /// Start the closing handshake (RFC 6455 7.1.2). Code 0 or 1005 sends a
    /// close without a code.
    ///
    /// The state becomes closing: nothing more may be sent, and next_event()
    /// still delivers what the peer sent before its own close, which ends the session.
    /// @return error::invalid_close_code for a code is_valid_close_code()
    /// refuses; error::invalid_close_reason for a reason over 123 bytes, not
    /// UTF-8, or without a code; error::closed once a close was sent or received.
    error_code send_close(std::uint16_t code = close_code::normal, std::string_view reason = {});

    /// Bytes waiting to be written to the transport.
    const std::uint8_t* output_data() const noexcept { return out_.data(); }
    /// The number of bytes at output_data().
    std::size_t output_size() const noexcept { return out_.size(); }
    /// The pending output as one view: output_data() and output_size().
    std::string_view output() const noexcept { return {reinterpret_cast<const char*>(out_.data()), out_.size()}; }
    /// Declare `size` bytes of output written.
    void consume_output(std::size_t size) noexcept { out_.consume(size); }
    /// Exchange the output buffer with `other` (an empty one, usually): a
    /// transport takes the pending bytes without copying and hands back a
    /// written buffer so capacities circulate instead of being reallocated.
    void swap_output(duplex::detail::byte_buffer& other) noexcept { std::swap(out_, other); }

    /// Write the header of an unmasked, unextended, single-frame message of
    /// `size` bytes into `out` (max_header_size bytes) so a transport can send
    /// it gathered with the payload instead of copying the payload (server
    /// role only). Returns the header length, or 0 if nothing may be sent now.
    std::size_t write_message_header(message_kind kind, std::size_t size, std::uint8_t* out) const noexcept {
        static_assert(!Role::masks_output, "clients must mask; use send_message");
        if (state_ != session_state::open || out_fragmenting_) return 0;
        frame::frame_header h;
        h.opcode = opcode_of(kind);
        h.payload_length = size;
        return frame::encode_header(h, out);
    }

    // ---- state ---------------------------------------------------------

    /// Where the connection is in its life.
    session_state state() const noexcept { return state_; }
    /// True while messages may be sent (state() is open).
    bool is_open() const noexcept { return state_ == session_state::open; }
    /// True once the session is closed and its output is written: time to
    /// close the transport (a client should still give the server a moment to close first).
    bool should_close_transport() const noexcept { return state_ == session_state::closed && out_.empty(); }
    /// True while a received message is partly buffered.
    bool in_message() const noexcept { return in_message_; }
    /// True when no received byte is buffered: nothing half-parsed, no partial message.
    bool input_idle() const noexcept { return in_.empty() && !in_message_ && !reading_payload_; }
    /// Bytes of the frame being read that have not arrived yet, when the frame is
    /// kept whole in the input buffer until it is complete (a message in one
    /// uncompressed frame); 0 otherwise. The buffer must grow to hold them anyway,
    /// so a transport may receive that much at once instead of in small reads.
    std::size_t payload_awaited() const noexcept {
        if (!reading_payload_ || !in_place_ || payload_remaining_ <= in_.size()) return 0;
        return static_cast<std::size_t>(payload_remaining_ - in_.size());
    }
    /// Received bytes buffered and not yet consumed.
    std::size_t input_size() const noexcept { return in_.size(); }
    /// The limits and behaviour in force.
    const session_options& options() const noexcept { return options_; }
    /// The limits and behaviour in force; change them between messages.
    session_options& options() noexcept { return options_; }

    /// Plug in a negotiated extension (not owned; must outlive the session or be reset).
    void set_extension(extension* ext) noexcept { ext_ = ext; }
    /// The extension set by set_extension(), or null.
    extension* get_extension() const noexcept { return ext_; }

    /// Free buffers that hold nothing, so an idle connection keeps no buffer memory.
    /// Invalidates earlier event views.
    void release_idle_buffers() noexcept {
        in_.release_if_empty();
        out_.release_if_empty();
        if (!buffers_) return;
        if (!in_message_) { // what is left is a message already delivered
            buffers_.reset();
            return;
        }
        buffers_->scratch.clear(); // holds only the part last handed out
        buffers_->scratch.release_if_empty();
        std::string().swap(buffers_->encode);
    }
    /// Bytes of buffer memory currently held.
    std::size_t buffer_capacity() const noexcept {
        return in_.capacity() + out_.capacity() +
               (buffers_ ? buffers_->message.capacity() + buffers_->scratch.capacity() : 0);
    }

private:
    class buffer_sink final : public byte_sink {
    public:
        explicit buffer_sink(duplex::detail::byte_buffer& b) noexcept : buffer_(b) {}
        void write(const std::uint8_t* data, std::size_t size) override { buffer_.append(data, size); }

    private:
        duplex::detail::byte_buffer& buffer_;
    };

    event fail(std::uint16_t code, std::string_view reason);
    event handle_control(const frame::frame_header& h, std::uint8_t* payload);
    event continue_payload();
    bool validate_text(const std::uint8_t* data, std::size_t size) {
        return !options_.validate_utf8 || message_kind_ != message_kind::text || utf8_.feed(data, size);
    }
    void finish_message() noexcept {
        in_message_ = false;
        fragments_ = 0;
        message_size_ = 0;
        compressed_ = false;
    }
    void write_frame(frame::opcode opcode, bool fin, std::uint8_t rsv, const void* data, std::size_t size);
    error_code send_control(frame::opcode op, std::string_view payload);

    session_options options_;
    session_state state_ = session_state::open;
    extension* ext_ = nullptr;

    duplex::detail::byte_buffer in_;
    duplex::detail::byte_buffer out_;
    // Buffers that only fragmented, compressed or streamed messages and
    // extensions use: allocated on first use, freed by release_idle_buffers().
    struct message_buffers {
        duplex::detail::byte_buffer message; // reassembly of fragmented or compressed messages
        duplex::detail::byte_buffer scratch; // compressed streaming output
        std::string encode;                  // outgoing encoding by the extension
    };
    std::unique_ptr<message_buffers> buffers_;
    message_buffers& buffers() {
        if (!buffers_) buffers_ = std::make_unique<message_buffers>();
        return *buffers_;
    }

    // the frame being read
    frame::frame_header frame_{};
    bool reading_payload_ = false;
    bool in_place_ = false;               // single-frame message kept in in_ until complete
    std::uint64_t payload_remaining_ = 0; // bytes of the frame not yet consumed
    std::size_t in_place_checked_ = 0;    // in-place: bytes already unmasked and validated
    std::size_t mask_phase_ = 0;

    // the message being read
    bool in_message_ = false;
    bool compressed_ = false;
    message_kind message_kind_ = message_kind::binary;
    std::size_t fragments_ = 0;
    std::size_t message_size_ = 0;
    frame::utf8_validator utf8_;

    // the message being sent in fragments
    bool out_fragmenting_ = false;
};

} // namespace duplex::protocol

#include <duplex/protocol/impl/session.hpp>
