// basic_connection<Config>, definitions. The write path: the queue, gather writes, direct sends of
// large messages.
#pragma once

#include <duplex/config/system_error.hpp>
#include <duplex/connection/connection.hpp>

#include <utility>

namespace duplex {

// ---- writing ---------------------------------------------------------------------

template <class Config>
void basic_connection<Config>::queue_bytes(std::string_view bytes) {
    auto& back = writes().back;
    back.bytes.append(bytes.data(), bytes.size());
    back.total += bytes.size();
}

template <class Config>
void basic_connection<Config>::flush() {
    if (dispatching_) {    // the read path flushes once after its batch
        update_buffered(); // but buffered_amount() counts what handlers queued at once
        return;
    }
    if (session_.output_size() != 0) {
        auto& back = writes().back;
        if (back.total == 0 && back.segments.empty()) {
            session_.swap_output(back.bytes); // no copy: buffers circulate
            back.total = back.bytes.size();
        } else {
            back.bytes.append(session_.output_data(), session_.output_size());
            back.total += session_.output_size();
            session_.consume_output(session_.output_size());
        }
    }
    if (!writing_) start_write();
    update_buffered();
}

// A large message while nothing is queued: gather its header and the caller's
// payload into one non-blocking send instead of copying the payload into the
// queue; queue only what the socket did not take. False: send it the usual way.
template <class Config>
bool basic_connection<Config>::write_direct(message_kind kind, std::string_view payload, bool compress) {
    if (writing_ || queued_bytes() != 0 || phase_ != phase::open) return false; // keep the order
    if (compress && session_.get_extension() != nullptr) return false;          // the extension encodes it
    if (kind == message_kind::text && session_.options().validate_utf8 && !frame::is_valid_utf8(payload))
        return false; // send_message reports it
    std::uint8_t header[frame::max_header_size];
    const std::size_t header_size = session_.write_message_header(kind, payload.size(), header);
    if (header_size == 0) return false;
    auto& socket = transport_type::lowest_layer(socket_);
    error_code ec;
    if (!socket.non_blocking()) socket.non_blocking(true, ec); // a flag of Asio's, set once (an ioctl)
    if (ec) return false;
    const std::array<asio::const_buffer, 2> gather{asio::buffer(header, header_size), asio::buffer(payload)};
    std::size_t written = socket.write_some(gather, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
        written = 0;
    } else if (ec) {
        return false; // the queued write reports the transport's error
    }
    if constexpr (metrics_type::enabled) metrics_->message_out(payload.size());
    if (written < header_size + payload.size()) { // the rest, in order, behind nothing
        if (written < header_size) {
            queue_bytes({reinterpret_cast<const char*>(header) + written, header_size - written});
            written = header_size;
        }
        queue_bytes(payload.substr(written - header_size));
        flush();
    }
    return true;
}

template <class Config>
void basic_connection<Config>::start_write() {
    if (writing_ || !writes_ || writes_->back.empty() || phase_ == phase::done) return;
    auto& [back, front, gather] = *writes_;
    front.swap(back);
    gather.clear();
    if (front.segments.empty()) {
        gather.emplace_back(front.bytes.data(), front.bytes.size());
    } else {
        for (const auto& s : front.segments) {
            if (s.frame)
                gather.emplace_back(s.frame->data(), s.frame->size());
            else
                gather.emplace_back(front.bytes.data() + s.offset, s.size);
        }
        if (front.bytes.size() > front.covered)
            gather.emplace_back(front.bytes.data() + front.covered, front.bytes.size() - front.covered);
    }
    writing_ = true;
    auto done =
        detail::with_allocator(detail::recycling_allocator<void>{},
                               [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); });
    // One buffer (the common case: frames appended to one queue) goes out with
    // send(), which costs the kernel less than sendmsg() with a vector.
    if (gather.size() == 1)
        asio::async_write(socket_, asio::buffer(gather.front()), std::move(done));
    else
        asio::async_write(socket_, detail::buffer_view{gather.data(), gather.data() + gather.size()}, std::move(done));
}

template <class Config>
void basic_connection<Config>::on_write(error_code ec) {
    writing_ = false;
    auto& front = writes_->front; // kept while writing
    auto completions = std::move(front.completions);
    front.completions.clear();
    front.clear();
    for (auto& done : completions)
        done(ec);
    if (ec) return finish(ec);
    if (phase_ == phase::done) return;
    // Keep the write buffer for reuse unless it grew large for one big message.
    front.bytes.shrink_if_empty(Config::read_size * 4);
    if (!writes_->back.empty()) {
        start_write();
    } else if (session_.state() == protocol::session_state::closed && session_.output_size() == 0) {
        if (phase_ == phase::closing && !close_seen_) return finish({}); // handshake refused: response sent
        after_close_event();
    }
    // A parked (idle) connection holds no buffers: here, those of the 101 response.
    if (parked_ && !writing_) release_write_buffers();
    update_buffered();
}

template <class Config>
void basic_connection<Config>::update_buffered() noexcept {
    const std::size_t queued = queued_bytes();
    buffered_.store(queued, std::memory_order_relaxed);
    constexpr std::size_t high =
        Config::send_queue_high_watermark ? Config::send_queue_high_watermark : Config::send_queue_limit / 2;
    constexpr std::size_t low =
        Config::send_queue_low_watermark ? Config::send_queue_low_watermark : Config::send_queue_limit / 8;
    static_assert(low < high, "the low watermark must be below the high one");
    if (queued > high) {
        backpressured_ = true;
    } else if (backpressured_ && queued <= low) {
        backpressured_ = false;
        if (const auto handlers = handlers_; handlers && handlers->on_drain && phase_ == phase::open)
            handlers->on_drain(this->shared_from_this());
    }
}

} // namespace duplex
