// basic_connection<Config>, definitions. Timers (handshake, idle, ping, close), parking of idle
// connections, and the end of a connection.
#pragma once

#include <duplex/config/system_error.hpp>
#include <duplex/connection/connection.hpp>

#include <cstring>

#include <utility>

namespace duplex {

// ---- timers and the end ---------------------------------------------------------

template <class Config>
void basic_connection<Config>::arm_timer(std::chrono::milliseconds after) {
    due_ = detail::deadline_service::clock::now() + after;
    deadlines_->schedule(*this, due_);
}

template <class Config>
void basic_connection<Config>::cancel_timer() noexcept {
    due_ = detail::deadline_service::clock::time_point::max();
    deadlines_->cancel(*this);
}

// Called by the deadline service under its lock, from any thread: only posts.
template <class Config>
void basic_connection<Config>::on_deadline(detail::deadline_owner* self) {
    auto* c = static_cast<basic_connection*>(self);
    if (auto strong = c->weak_from_this().lock()) {
        auto& executor = strong->executor_;
        asio::post(executor, [c = std::move(strong)] {
            // A deadline moved later since (or cancelled) is not due yet.
            if (c->phase_ == phase::done || detail::deadline_service::clock::now() < c->due_) return;
            c->due_ = detail::deadline_service::clock::time_point::max();
            c->on_timer();
        });
    }
}

template <class Config>
void basic_connection<Config>::on_timer() {
    switch (phase_) {
    case phase::handshake: return finish(error::timeout);
    case phase::closing: return finish(error::timeout);
    case phase::done: return;
    case phase::open:
        wakes_in_tick_ = 0;
        if (activity_) { // input arrived during the last interval
            activity_ = false;
            ping_outstanding_ = false;
            quiet_for_ = std::chrono::milliseconds{0};
        } else {
            quiet_for_ += tick_interval();
            if constexpr (Config::park_after.count() > 0) {
                if (quiet_for_ >= Config::park_after) park();
            }
            if constexpr (Config::idle_timeout.count() > 0) {
                if (ping_outstanding_ && quiet_for_ >= Config::pong_timeout)
                    return finish(error::timeout); // no answer to the keepalive ping: the peer is gone
                if (!ping_outstanding_ && quiet_for_ >= Config::idle_timeout) {
                    ping_outstanding_ = true;
                    quiet_for_ = std::chrono::milliseconds{0}; // now the pong deadline runs
                    session_.send_ping();
                    flush();
                }
            }
        }
        arm_timer(tick_interval());
        return;
    }
}

// Parking: an idle connection gives back its buffers and waits for readiness
// instead of holding a read buffer in a pending async_read_some. A TLS stream
// parks only when it holds no bytes the socket could not signal.
template <class Config>
void basic_connection<Config>::park() {
    if (parked_ || writing_ || stream_sending() || phase_ != phase::open || !session_.input_idle() ||
        stream_holds_input())
        return; // (cancelling the read would cancel a send too)
    parked_ = true;
    error_code ignored;
    transport_type::lowest_layer(socket_).cancel(ignored); // the pending read ends with operation_aborted -> unpark()
}

template <class Config>
void basic_connection<Config>::unpark() {
    session_.release_idle_buffers();
    if constexpr (transport_type::secure) socket_.release_buffers();
    if (!writing_) release_write_buffers();
    transport_type::lowest_layer(socket_).async_wait(
        asio::socket_base::wait_read,
        detail::with_allocator(detail::exact_allocator<void>{}, [self = this->shared_from_this()](error_code ec) {
            if (self->phase_ == phase::done) return;
            if (ec) {
                self->parked_ = false;
                return self->on_read(ec, 0);
            }
            self->wake();
        }));
}

template <class Config>
void basic_connection<Config>::release_write_buffers() noexcept {
    if (writes_ && writes_->back.empty() && writes_->front.empty()) writes_.reset();
}

// A parked connection became readable. Read what is there through a buffer
// shared by the thread and copy only those bytes into the session, so a
// connection that talks now and then never holds a full read buffer. One that
// gets busy (a second wake-up within a tick) goes back to its own buffer.
template <class Config>
void basic_connection<Config>::wake() {
    if constexpr (transport_type::secure) {
        // Records are decrypted whole, so a TLS connection reads through its own
        // buffer again (it parks anew after the next quiet tick).
        parked_ = false;
        do_read();
    } else {
        thread_local std::uint8_t scratch[64 * 1024];
        std::size_t total = 0;
        error_code ec;
        if (!socket_.non_blocking()) socket_.non_blocking(true, ec);
        for (;;) {
            const std::size_t n = socket_.read_some(asio::buffer(scratch, sizeof scratch), ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) break;
            if (ec) {
                if (total != 0) break; // deliver what came first; the error shows on the next read
                parked_ = false;
                return on_read(ec, 0);
            }
            session_.feed(scratch, n);
            total += n;
            if (n < sizeof scratch) break; // drained
        }
        if (total == 0) return unpark(); // spurious wake-up
        if (!process_input()) return;
        if (++wakes_in_tick_ >= 2 || !session_.input_idle()) {
            parked_ = false;
            return do_read();
        }
        unpark();
    }
}

template <class Config>
void basic_connection<Config>::finish(error_code ec) {
    if (phase_ == phase::done) return;
    const bool was_open = open_.load(std::memory_order_relaxed) || close_seen_;
    phase_ = phase::done;
    open_.store(false, std::memory_order_relaxed);
    cancel_timer();
    error_code ignored;
    auto& lowest = transport_type::lowest_layer(socket_);
    lowest.shutdown(asio::socket_base::shutdown_both, ignored);
    lowest.close(ignored);
    const ptr self = this->shared_from_this();
    const auto handlers = std::move(handlers_); // released at the end: breaks cycles through captures
    if (ec && ec != asio::error::eof && ec != asio::error::operation_aborted && handlers && handlers->on_error)
        handlers->on_error(self, ec);
    if (was_open) {
        if (!close_seen_) close_info_ = close_info{}; // 1006: the transport ended first
        if constexpr (metrics_type::enabled) metrics_->connection_closed(close_info_.code);
        if (handlers && handlers->on_close) handlers->on_close(self, close_info_);
    }
    if (writes_) {
        for (auto* box : {&writes_->front, &writes_->back}) {
            auto completions = std::move(box->completions);
            box->completions.clear();
            for (auto& done : completions)
                done(error::closed);
        }
    }
    session_.transport_closed();
    if (const auto fn = std::exchange(on_finished_, nullptr)) fn(owner_, *this);
}

} // namespace duplex
