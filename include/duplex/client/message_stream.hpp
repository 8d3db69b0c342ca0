/// @file
/// Pull-style reading and awaitable operations over a connection: read the next
/// message when you want it instead of in a handler. Every operation takes an
/// Asio completion token, so with C++20 coroutines:
///
/// @code
///     auto stream = co_await duplex::async_connect(client, "ws://host/chat", asio::use_awaitable);
///     co_await stream->async_send(duplex::message_kind::text, "hello", asio::use_awaitable);
///     auto [kind, text] = co_await stream->async_read(asio::use_awaitable);
///     co_await stream->async_close(duplex::close_code::normal, "bye", asio::use_awaitable);
/// @endcode
///
/// and the same calls with plain callbacks in C++17.
#pragma once

#include <duplex/client/client.hpp>
#include <duplex/config/asio.hpp>
#include <duplex/config/macros.hpp>
#include <duplex/connection/connection.hpp>
#include <duplex/error.hpp>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace duplex {

/// A received message copied out of the connection's buffer, so that it
/// outlives the handler (unlike message).
struct owned_message {
    message_kind kind = message_kind::binary; ///< text or binary
    std::string data;                         ///< the payload (UTF-8 for text, unless validate_utf8 was turned off)
};

/// Wraps a connection: received messages queue up (bounded by the connection's
/// limits and `max_queued`) until async_read takes them. Made by make() or
/// async_connect(). Completions of async_read() and async_close() run on the
/// handler's associated executor, else on make()'s fallback executor; never inline.
///
/// @par Thread safety
/// Once the connection has opened, the operations may be started from any
/// thread: they run on the connection's executor. One read at a time: a read
/// started while another is pending replaces it, and the first never completes.
/// async_send() and async_close() need the connection open (connection() not null).
template <class Connection>
class message_stream : public std::enable_shared_from_this<message_stream<Connection>> {
public:
    /// How the connection is held.
    using connection_ptr = std::shared_ptr<Connection>;
    /// The connection's handler set, as make() returns it.
    using handlers_type = typename Connection::handlers_type;

    /// Messages held before the oldest is dropped (a reader that falls this far
    /// behind loses messages rather than memory). Read on the connection's
    /// executor: change it there, or before the connection opens.
    std::size_t max_queued = 1024;

    /// The connection; null until it opened.
    const connection_ptr& connection() const noexcept { return connection_; }
    /// How the connection ended, once async_read reported error::closed. After
    /// an error (on_error came first) it is a default close_info: 1006, not clean.
    const close_info& closed_with() const noexcept { return close_; }

    /// Read the next message: completes with (error_code, owned_message), the
    /// oldest queued one, or error::closed once the connection has ended
    /// (whether closed or failed) and the queue is empty.
    template <class CompletionToken>
    auto async_read(CompletionToken&& token) {
        return asio::async_initiate<CompletionToken, void(error_code, owned_message)>(
            [self = this->shared_from_this()](auto handler) {
                self->run([self, h = std::make_shared<decltype(handler)>(std::move(handler))]() mutable {
                    self->pending_ = [h, ex = self->fallback_](error_code ec, owned_message m) mutable {
                        detail::complete_later(std::move(*h), ex, ec, std::move(m));
                    };
                    self->deliver();
                });
            },
            token);
    }

    /// Send a message: completes with (error_code) once written, or with the
    /// error of basic_connection::send() (it forwards to the connection's async_send()).
    template <class CompletionToken>
    auto async_send(message_kind kind, std::string payload, CompletionToken&& token) {
        return connection_->async_send(kind, std::move(payload), std::forward<CompletionToken>(token));
    }

    /// Start the close handshake (see basic_connection::close()) and complete
    /// with (error_code) once the connection has ended, however it ended: the
    /// error_code is always empty, also when it had ended already.
    template <class CompletionToken>
    auto async_close(std::uint16_t code, std::string reason, CompletionToken&& token) {
        return asio::async_initiate<CompletionToken, void(error_code)>(
            [self = this->shared_from_this(), code, r = std::move(reason)](auto handler) mutable {
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                self->run([self, code, r, h]() mutable {
                    auto done = [h, ex = self->fallback_]() mutable {
                        detail::complete_later(std::move(*h), ex, error_code{});
                    };
                    if (self->ended_) return done();
                    self->on_end_.push_back(std::move(done));
                    self->connection_->close(code, r);
                });
            },
            token);
    }

    /// A new stream and the handlers that feed it; give them to
    /// basic_client::connect() (a server route shares one handler set among
    /// all its connections, which one stream would mix). The handlers hold
    /// the stream weakly: keep the pointer.
    /// @param fallback where completions run when their handler has no
    /// associated executor, and operations started before the connection opened.
    /// @param on_ready optional; told once how the handshake ended: no error
    /// when the connection opened, else the error (error::closed if it ended
    /// without one).
    static std::pair<std::shared_ptr<message_stream>, handlers_type>
    make(asio::any_io_executor fallback, std::function<void(error_code)> on_ready = {}) {
        auto stream = std::shared_ptr<message_stream>(new message_stream(std::move(fallback)));
        stream->on_ready_ = std::move(on_ready);
        handlers_type h;
        std::weak_ptr<message_stream> weak = stream;
        h.on_open = [weak](const connection_ptr& c) {
            if (auto s = weak.lock()) s->open(c);
        };
        h.on_message = [weak](const connection_ptr&, const message& m) {
            if (auto s = weak.lock()) s->push(owned_message{m.kind, std::string(m.data)});
        };
        h.on_close = [weak](const connection_ptr&, const close_info& info) {
            if (auto s = weak.lock()) s->end(info, {});
        };
        h.on_error = [weak](const connection_ptr&, error_code ec) {
            if (auto s = weak.lock()) s->end(close_info{}, ec);
        };
        return {stream, std::move(h)};
    }

private:
    std::function<void(error_code)> on_ready_; // the outcome of the handshake, reported once (async_connect)

    explicit message_stream(asio::any_io_executor fallback) : fallback_(std::move(fallback)) {}

    template <class Fn>
    void run(Fn&& fn) {
        if (connection_)
            asio::dispatch(connection_->get_executor(), std::forward<Fn>(fn));
        else
            asio::post(fallback_, std::forward<Fn>(fn));
    }
    void open(const connection_ptr& c) {
        connection_ = c;
        if (auto ready = std::move(on_ready_)) ready({});
    }
    void push(owned_message m) {
        if (queue_.size() >= max_queued) queue_.pop_front();
        queue_.push_back(std::move(m));
        deliver();
    }
    void end(const close_info& info, error_code ec) {
        if (ended_) return;
        ended_ = true;
        close_ = info;
        if (auto ready = std::move(on_ready_)) ready(ec ? ec : make_error_code(error::closed));
        deliver();
        for (auto& done : on_end_)
            done();
        on_end_.clear();
    }
    void deliver() {
        if (!pending_) return;
        if (!queue_.empty()) {
            auto m = std::move(queue_.front());
            queue_.pop_front();
            std::exchange(pending_, nullptr)(error_code{}, std::move(m));
        } else if (ended_) {
            std::exchange(pending_, nullptr)(make_error_code(error::closed), owned_message{});
        }
    }

    asio::any_io_executor fallback_;
    connection_ptr connection_;
    std::deque<owned_message> queue_;
    std::function<void(error_code, owned_message)> pending_;
    std::vector<std::function<void()>> on_end_;
    close_info close_;
    bool ended_ = false;
};

/// Connect with `endpoint` (basic_client::connect()) and wrap the connection
/// in a message_stream. Completes once the handshake ended, with
/// (error_code, std::shared_ptr<message_stream<...>>): the stream once the
/// connection opened, else null and connect()'s error (error::bad_url,
/// error::timeout, error::handshake_failed, ...). The completion runs on the
/// token's associated executor, else endpoint.get_executor(), never inline.
/// `endpoint` is used when the operation starts (later with asio::deferred):
/// it must be alive then.
template <class Config, class CompletionToken>
auto async_connect(basic_client<Config>& endpoint, std::string url, client_options options, CompletionToken&& token) {
    using stream_type = message_stream<basic_connection<Config>>;
    return asio::async_initiate<CompletionToken, void(error_code, std::shared_ptr<stream_type>)>(
        [&endpoint](auto handler, std::string target, client_options settings) {
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            auto stream_slot = std::make_shared<std::shared_ptr<stream_type>>();
            auto [stream, handlers] = stream_type::make(
                endpoint.get_executor(), [h, stream_slot, ex = endpoint.get_executor()](error_code ec) mutable {
                    auto s = std::move(*stream_slot); // held until the handshake's outcome is known
                    detail::complete_later(std::move(*h), ex, ec, ec ? nullptr : std::move(s));
                });
            *stream_slot = stream;
            endpoint.connect(target, std::move(handlers), std::move(settings));
        },
        token, std::move(url), std::move(options));
}

/// async_connect with default client options.
template <class Config, class CompletionToken>
auto async_connect(basic_client<Config>& endpoint, std::string url, CompletionToken&& token) {
    return async_connect(endpoint, std::move(url), client_options{}, std::forward<CompletionToken>(token));
}

} // namespace duplex
