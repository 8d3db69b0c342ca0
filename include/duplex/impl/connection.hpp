// Definitions of basic_connection<Config>; included from duplex/connection.hpp.
#pragma once

#include <duplex/connection.hpp>

#include <cstring>
#include <utility>

namespace duplex {

template <class Config>
basic_connection<Config>::basic_connection(executor_type executor, stream_type stream)
    : executor_(executor), socket_(std::move(stream)), deadlines_(&detail::deadline_service::of(executor)) {
    deadline_passed = &basic_connection::on_deadline;
    transport_type::describe_peer(transport_type::lowest_layer(socket_), remote_address_, remote_port_);
    session_.options().max_message_size = Config::max_message_size;
    session_.options().max_frame_size = Config::max_frame_size;
    session_.options().max_fragments = Config::max_fragments;
}

template <class Config>
basic_connection<Config>::~basic_connection() {
    deadlines_->cancel(*this);
}

// Run `fn` on the connection's executor: inline when already there (the
// handler path), posted otherwise (sends from other threads).
template <class Config>
template <class Fn>
void basic_connection<Config>::run(Fn&& fn) {
    if (executor_.running_in_this_thread()) {
        fn();
    } else {
        asio::post(executor_, [self = this->shared_from_this(), f = std::forward<Fn>(fn)]() mutable { f(); });
    }
}

template <class Config>
void basic_connection<Config>::send(message_kind kind, std::string_view payload, completion done, bool compress) {
    if (executor_.running_in_this_thread()) {
        if (phase_ != phase::open) {
            if (done) done(error::closed);
            return;
        }
        if (!admit(payload.size(), done)) return;
        if constexpr (!role::masks_output && !transport_type::secure && Config::direct_write_size > 0) {
            if (payload.size() >= Config::direct_write_size && !done && write_direct(kind, payload, compress)) return;
        }
        if (auto ec = session_.send_message(kind, payload.data(), payload.size(), compress)) {
            if (done) done(ec);
            return;
        }
        if constexpr (metrics_type::enabled) metrics_->message_out(payload.size());
        if (done) writes().back.completions.push_back(std::move(done));
        flush();
        return;
    }
    asio::post(executor_, [self = this->shared_from_this(), kind, copy = std::string(payload), d = std::move(done),
                           compress]() mutable { self->send(kind, copy, std::move(d), compress); });
}

template <class Config>
void basic_connection<Config>::send_frame(shared_frame frame_bytes, completion done) {
    run([this, f = std::move(frame_bytes), d = std::move(done)]() mutable { queue_frame(std::move(f), std::move(d)); });
}

template <class Config>
void basic_connection<Config>::send(std::shared_ptr<const prepared_message> message, completion done) {
    if constexpr (role::masks_output) {
        send(message->kind(), message->payload(), std::move(done), message->compress());
    } else {
        run([this, m = std::move(message), d = std::move(done)]() mutable {
            // extension_ is set before the connection opens; before that the send fails below.
            if (phase_ == phase::open)
                if (auto f = m->frame_for(extension_.get())) return queue_frame(std::move(f), std::move(d));
            send(m->kind(), m->payload(), std::move(d), m->compress());
        });
    }
}

// On the connection's executor: queue a pre-framed message behind what is queued.
template <class Config>
void basic_connection<Config>::queue_frame(shared_frame f, completion d) {
    if (phase_ != phase::open || !session_.is_open()) {
        if (d) d(error::closed);
        return;
    }
    if (!admit(f->size(), d)) return;
    // Keep order: whatever the session framed before goes first.
    auto& back = writes().back;
    if (session_.output_size() != 0) {
        back.bytes.append(session_.output_data(), session_.output_size());
        back.total += session_.output_size();
        session_.consume_output(session_.output_size());
    }
    if constexpr (metrics_type::enabled) metrics_->message_out(f->size());
    back.add_frame(std::move(f));
    if (d) back.completions.push_back(std::move(d));
    flush();
}

template <class Config>
void basic_connection<Config>::ping(std::string_view payload) {
    run([this, p = std::string(payload)] {
        if (phase_ == phase::open && !session_.send_ping(p)) flush();
    });
}

template <class Config>
void basic_connection<Config>::close(std::uint16_t code, std::string_view reason) {
    run([this, code, r = std::string(reason)] {
        if (phase_ == phase::handshake) return finish(error::closed);
        if (phase_ != phase::open) return;
        if (session_.send_close(code, r)) session_.send_close(code, {}); // invalid reason: drop it
        phase_ = phase::closing;
        arm_timer(Config::close_timeout);
        flush();
    });
}

template <class Config>
void basic_connection<Config>::abort() {
    run([this] { finish(error::closed); });
}

template <class Config>
bool basic_connection<Config>::admit(std::size_t size, completion& done) {
    const std::size_t queued = queued_bytes();
    if (queued + size <= Config::send_queue_limit || queued == 0) return true;
    if constexpr (metrics_type::enabled) metrics_->send_dropped();
    switch (Config::on_queue_full) {
    case queue_full_policy::fail:
        if (done) done(error::send_queue_full);
        break;
    case queue_full_policy::drop:
        if (done) done(error::send_dropped);
        break;
    case queue_full_policy::close:
        if (done) done(error::send_queue_full);
        if (session_.is_open()) {
            session_.send_close(close_code::policy_violation, "send queue full");
            phase_ = phase::closing;
            arm_timer(Config::close_timeout);
            flush();
        }
        break;
    }
    return false;
}

// ---- server handshake --------------------------------------------------------

template <class Config>
void basic_connection<Config>::start_server(request_callback on_request, const protocol::session_options& limits) {
    handshake_->on_request = std::move(on_request);
    handshake_->upgrade.emplace();
    session_.options() = limits;
    transport_type::prepare(transport_type::lowest_layer(socket_));
    arm_timer(Config::handshake_timeout); // covers the TLS handshake too
    transport_type::async_handshake(socket_, true, std::string{},
                                    [self = this->shared_from_this()](std::error_code ec) {
                                        if (self->phase_ != phase::handshake) return;
                                        if (ec) return self->finish(ec);
                                        self->read_request();
                                    });
}

// The request goes through the sans-I/O server_upgrade (limits, RFC 6455 4.2.1
// checks); this reads it into the session's input buffer, so frames sent right
// behind it stay there for the session. The server decides (route, hooks).
template <class Config>
void basic_connection<Config>::read_request() {
    auto* buffer = session_.input_buffer(4096);
    socket_.async_read_some(asio::buffer(buffer, 4096),
                            [self = this->shared_from_this(), buffer](std::error_code ec, std::size_t n) {
                                if (self->phase_ != phase::handshake) return;
                                if (ec) return self->finish(ec);
                                auto& upgrade = *self->handshake_->upgrade;
                                upgrade.feed(buffer, n);
                                if (upgrade.state() == protocol::upgrade_state::reading) return self->read_request();
                                if (!upgrade.request()) { // the header block broke HTTP or its limits
                                    if constexpr (metrics_type::enabled)
                                        self->metrics_->handshake_rejected(upgrade.status());
                                    return self->respond_and_close(std::string(upgrade.output()));
                                }
                                const std::size_t leftover = upgrade.leftover().size();
                                if (leftover != 0) std::memmove(buffer, buffer + n - leftover, leftover);
                                self->session_.commit_input(leftover);
                                self->target_ = std::string(upgrade.request()->target());
                                const auto on_request = std::move(self->handshake_->on_request);
                                on_request(self);
                            });
}

template <class Config>
void basic_connection<Config>::respond_and_close(std::string response) {
    phase_ = phase::closing;
    handshake_.reset();
    queue_bytes(response);
    session_.transport_closed(); // no WebSocket session follows
    start_write();
}

template <class Config>
void basic_connection<Config>::accept(std::string response, std::shared_ptr<const handlers_type> handlers,
                                      protocol::session_options options) {
    handshake_.reset(); // an open connection keeps no handshake memory
    handlers_ = std::move(handlers);
    session_.options() = options;
    session_.set_extension(extension_.get());
    queue_bytes(response);
    open_and_read(0);
}

// ---- client handshake --------------------------------------------------------

template <class Config>
void basic_connection<Config>::start_client(protocol::client_upgrade_options upgrade,
                                            std::shared_ptr<const handlers_type> handlers,
                                            protocol::session_options options, std::string tls_host) {
    handlers_ = std::move(handlers);
    session_.options() = options;
    target_ = upgrade.request.target;
    auto& client = handshake_->upgrade.emplace(std::move(upgrade));
    transport_type::prepare(transport_type::lowest_layer(socket_));
    arm_timer(Config::handshake_timeout);
    queue_bytes(client.output());
    client.consume_output(client.output().size());
    transport_type::async_handshake(socket_, false, tls_host, [self = this->shared_from_this()](std::error_code ec) {
        if (self->phase_ != phase::handshake) return;
        if (ec) return self->finish(ec);
        self->start_write();
        self->read_response();
    });
}

// The server's answer goes through the sans-I/O client_upgrade (RFC 6455 4.1
// checks, subprotocol, extensions); this reads it into the session's input
// buffer, so frames behind it stay there for the session.
template <class Config>
void basic_connection<Config>::read_response() {
    auto* buffer = session_.input_buffer(4096);
    socket_.async_read_some(
        asio::buffer(buffer, 4096), [self = this->shared_from_this(), buffer](std::error_code ec, std::size_t n) {
            if (self->phase_ != phase::handshake) return;
            if (ec) return self->finish(ec);
            auto& client = *self->handshake_->upgrade;
            client.feed(buffer, n);
            self->handshake_status_ = client.status();
            switch (client.state()) {
            case protocol::upgrade_state::open: break;
            case protocol::upgrade_state::failed:
                detail::log<typename Config::logger>(log_level::warning, [&] { return client.reason(); });
                return self->finish(client.error());
            default: return self->read_response();
            }
            self->subprotocol_ = client.subprotocol();
            self->extension_ = client.negotiated_extension();
            if (self->extension_) self->session_.set_extension(self->extension_.get());
            // What came behind the response is the end of this read: the first frames.
            const std::size_t leftover = client.leftover().size();
            if (leftover != 0) std::memmove(buffer, buffer + n - leftover, leftover);
            self->session_.commit_input(leftover);
            self->handshake_.reset(); // an open connection keeps no handshake memory
            self->open_and_read(leftover);
        });
}

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
                            asio::bind_allocator(detail::recycling_allocator<void>{},
                                                 [self = this->shared_from_this()](std::error_code ec, std::size_t n) {
                                                     self->on_read(ec, n);
                                                 }));
}

template <class Config>
void basic_connection<Config>::on_read(std::error_code ec, std::size_t size) {
    if (phase_ == phase::done) return;
    if (ec == asio::error::operation_aborted && parked_) return unpark(); // cancelled by park()
    parked_ = false;                                                      // the read won the race with park()'s cancel
    if (ec) {
        eof_ = true;
        // After the close handshake the transport's end is expected (a TLS peer
        // may skip close_notify): not an error.
        return finish(close_seen_ ? std::error_code{} : ec);
    }
    session_.commit_input(size);
    if (!process_input()) return;
    // The next read starts behind the handlers already queued (other
    // connections' input), not at once: Asio tries a new read on the socket
    // right away, and just after a reply the peer's next message is rarely
    // there, so that try would be a receive call that finds nothing on nearly
    // every message. Later it finds the message or costs the same.
    asio::post(executor_, asio::bind_allocator(detail::recycling_allocator<void>{}, [self = this->shared_from_this()] {
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
    std::error_code ec;
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
    auto done = asio::bind_allocator(
        detail::recycling_allocator<void>{},
        [self = this->shared_from_this()](std::error_code ec, std::size_t) { self->on_write(ec); });
    // One buffer (the common case: frames appended to one queue) goes out with
    // send(), which costs the kernel less than sendmsg() with a vector.
    if (gather.size() == 1)
        asio::async_write(socket_, asio::buffer(gather.front()), std::move(done));
    else
        asio::async_write(socket_, detail::buffer_view{gather.data(), gather.data() + gather.size()}, std::move(done));
}

template <class Config>
void basic_connection<Config>::on_write(std::error_code ec) {
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
    std::error_code ignored;
    transport_type::lowest_layer(socket_).cancel(ignored); // the pending read ends with operation_aborted -> unpark()
}

template <class Config>
void basic_connection<Config>::unpark() {
    session_.release_idle_buffers();
    if constexpr (transport_type::secure) socket_.release_buffers();
    if (!writing_) release_write_buffers();
    transport_type::lowest_layer(socket_).async_wait(
        asio::socket_base::wait_read,
        asio::bind_allocator(detail::exact_allocator<void>{}, [self = this->shared_from_this()](std::error_code ec) {
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
        std::error_code ec;
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
void basic_connection<Config>::finish(std::error_code ec) {
    if (phase_ == phase::done) return;
    const bool was_open = open_.load(std::memory_order_relaxed) || close_seen_;
    phase_ = phase::done;
    open_.store(false, std::memory_order_relaxed);
    cancel_timer();
    std::error_code ignored;
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
