// basic_connection<Config>, definitions. The open connection's read loop: reading, feeding the
// session, dispatching its events.
#pragma once

#include <duplex/config/system_error.hpp>
#include <duplex/connection/connection.hpp>

#include <cstring>

#include <utility>

namespace duplex {

// ---- open connection -----------------------------------------------------------

template <class Config>
void basic_connection<Config>::open_and_read(std::size_t) {
    phase_ = phase::open;
    open_.store(true, std::memory_order_relaxed);
    if constexpr (metrics_type::enabled) metrics_->connection_opened();
    if constexpr (tick_interval().count() > 0)
        arm_timer(tick_interval());
    else
        cancel_timer();
    dispatching_ = true;
    if (const auto handlers = handlers_; handlers && handlers->on_open) handlers->on_open(this->shared_from_this());
    dispatching_ = false;
    dispatch_events(); // frames that arrived with the handshake
    flush();
    if (phase_ == phase::done) return;
    // Most connections wait a while before their first message: wait for it
    // without a read buffer (idle memory), unless bytes are already pending.
    if constexpr (Config::park_after.count() > 0) {
        if (session_.input_idle() && !stream_holds_input()) { // no read is pending: a send in flight goes on
            parked_ = true;
            return unpark();
        }
    }
    do_read();
}

template <class Config>
void basic_connection<Config>::do_read() {
    // Room for a frame header too, so a read_size message (often a power of
    // two, like 16 KiB) arrives in one receive call, not two.
    constexpr std::size_t base = Config::read_size + frame::max_header_size;
    std::size_t size = base;
    // Inside a large message that the session collects whole in its buffer,
    // receive more of it at once: up to the rest of the frame, but no more than
    // twice what has arrived already, so the buffer follows the bytes the peer
    // really sent, not the length its header claims. (100 x 1 MiB echo: 64
    // receive calls per message became about 7. Growing by as much as had
    // arrived, not twice that, still left receive windows closed long enough
    // for TCP's persist timer: p99.9 420 ms against 37 ms.)
    if (const std::size_t awaited = session_.payload_awaited(); awaited > base)
        size = std::min(awaited, std::max(base, 2 * session_.input_size()));
    auto* buffer = session_.input_buffer(size);
    socket_.async_read_some(asio::buffer(buffer, size),
                            detail::with_allocator(detail::recycling_allocator<void>{},
                                                   [self = this->shared_from_this()](error_code ec, std::size_t n) {
                                                       self->on_read(ec, n);
                                                   }));
}

template <class Config>
void basic_connection<Config>::on_read(error_code ec, std::size_t size) {
    if (phase_ == phase::done) return;
    if (ec == asio::error::operation_aborted && parked_) return unpark(); // cancelled by park()
    parked_ = false;                                                      // the read won the race with park()'s cancel
    if (ec) {
        eof_ = true;
        // After the close handshake the transport's end is expected (a TLS peer
        // may skip close_notify): not an error.
        return finish(close_seen_ ? error_code{} : ec);
    }
    session_.commit_input(size);
    if (!process_input()) return;
    // The next read starts behind the handlers already queued (other
    // connections' input), not at once: Asio tries a new read on the socket
    // right away, and just after a reply the peer's next message is rarely
    // there, so that try would be a receive call that finds nothing on nearly
    // every message. Later it finds the message or costs the same.
    asio::post(executor_,
               detail::with_allocator(detail::recycling_allocator<void>{}, [self = this->shared_from_this()] {
                   if (self->phase_ != phase::done) self->do_read();
               }));
}

// Deliver what the session parsed; false when the connection ended.
template <class Config>
bool basic_connection<Config>::process_input() {
    activity_ = true;
    dispatch_events();
    flush();
    if (phase_ == phase::done) return false;
    if (session_.state() == protocol::session_state::closed && !writing_ && session_.output_size() == 0) {
        after_close_event();
        if (phase_ == phase::done) return false;
    }
    return true;
}

template <class Config>
void basic_connection<Config>::dispatch_events() {
    // Sends made by handlers only append to the session's output; one flush
    // after the batch writes them all with one system call.
    dispatching_ = true;
    const ptr self = this->shared_from_this();
    const auto handlers = handlers_; // finish() from inside a handler must not destroy it
    if (!handlers) return void(dispatching_ = false);
    while (phase_ != phase::done) {
        const protocol::event ev = session_.next_event();
        if (ev.type == protocol::event::none) break;
        switch (ev.type) {
        case protocol::event::message:
            if constexpr (metrics_type::enabled) metrics_->message_in(ev.data.size());
            if (handlers->on_message) handlers->on_message(self, message{ev.kind, ev.data});
            break;
        case protocol::event::ping:
            if (handlers->on_ping) handlers->on_ping(self, ev.data);
            break;
        case protocol::event::pong:
            ping_outstanding_ = false;
            if (handlers->on_pong) handlers->on_pong(self, ev.data);
            break;
        case protocol::event::close:
            close_seen_ = true;
            close_info_.code = ev.code;
            close_info_.reason = std::string(ev.reason);
            close_info_.protocol_error = ev.protocol_error;
            close_info_.clean = !ev.protocol_error;
            if (phase_ == phase::open) {
                phase_ = phase::closing;
                arm_timer(Config::close_timeout);
            }
            break;
        default: break;
        }
    }
    dispatching_ = false;
}

template <class Config>
void basic_connection<Config>::after_close_event() {
    // Close frames are exchanged and written. RFC 6455 7.1.1: the server closes
    // the TCP connection first; a client waits for that (bounded by the timer).
    if constexpr (!role::is_client) {
        finish({});
    } else if (eof_) {
        finish({});
    }
}

} // namespace duplex
