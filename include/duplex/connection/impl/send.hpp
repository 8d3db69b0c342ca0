// basic_connection<Config>, definitions. Sending: the send functions, close, ping and abort, and
// admission to the send queue.
#pragma once

#include <duplex/connection/connection.hpp>

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

} // namespace duplex
