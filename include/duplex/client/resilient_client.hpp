/// @file
/// basic_resilient_client<Config>: keeps one client connection up. It reconnects
/// with exponential backoff and jitter, holds sends in a bounded offline queue
/// while disconnected, and lets the application resubscribe (resume) on each
/// open before the queued messages go out.
///
/// @code
///     duplex::resilient_client feed{io};
///     duplex::resilient_client::handlers_type on;
///     on.on_open = [&](const auto& c, bool reconnected) {
///         c->send_text("resume prices " + std::to_string(last_seen)); // before the offline queue
///     };
///     on.on_message = [&](const auto&, const duplex::message& m) { last_seen = sequence_of(m); };
///     feed.connect("ws://example.com/feed", on);
///     feed.send_text("hello"); // queued until the connection opens
/// @endcode
///
/// A dead peer (no TCP reset) is found by the Config's keepalive: after
/// idle_timeout without input a ping goes out, and without an answer within
/// pong_timeout the connection ends with error::timeout, which starts a reconnect.
#pragma once

#include <duplex/client/client.hpp>
#include <duplex/config/asio.hpp>
#include <duplex/error.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace duplex {

/// When and how often a resilient client reconnects.
struct reconnect_options {
    /// Delay before the first reconnection attempt.
    std::chrono::milliseconds initial_delay{1000};
    /// Upper bound of every delay, jitter included.
    std::chrono::milliseconds max_delay{5000};
    /// Each attempt waits `factor` times longer than the one before.
    double factor = 2.0;
    /// Jitter, so that many clients do not come back in lockstep: a delay d
    /// becomes d * (1 + randomization * u), u uniform in [-1, 1].
    double randomization = 0.5;
    /// Reconnection attempts in a row before giving up (on_give_up); 0: no limit.
    /// The count starts over each time a connection opens.
    std::size_t max_attempts = 0;
    /// Handshakes refused with a 4xx status in a row before giving up, whatever
    /// max_attempts says (401, 403 or 404 rarely heal by themselves); 0: no such limit.
    std::size_t max_rejections = 3;
};

/// The delay before reconnection attempt `attempt` (1-based):
/// min(initial_delay * factor^(attempt-1), max_delay) * (1 + randomization * jitter),
/// capped at max_delay, for `jitter` in [-1, 1].
inline std::chrono::milliseconds reconnect_delay(const reconnect_options& o, std::size_t attempt, double jitter) {
    const double cap = static_cast<double>(o.max_delay.count());
    const double exponent = attempt > 0 ? static_cast<double>(attempt - 1) : 0.0;
    double base = static_cast<double>(o.initial_delay.count()) * std::pow(std::max(o.factor, 1.0), exponent);
    if (!(base < cap)) base = cap; // also catches overflow to infinity
    const double spread = std::clamp(o.randomization, 0.0, 1.0) * std::clamp(jitter, -1.0, 1.0);
    const double delay = std::clamp(base * (1.0 + spread), 0.0, cap);
    return std::chrono::milliseconds(std::llround(delay));
}

/// What happens to a send when the offline queue is full.
enum class offline_queue_policy : std::uint8_t {
    /// The oldest queued messages make room; their completions get asio::error::operation_aborted.
    drop_oldest,
    /// The new message is dropped; its completion gets asio::error::operation_aborted.
    drop_newest,
    /// The send fails: its completion gets error::send_queue_full.
    fail,
};

/// The queue that holds sends while no connection is open.
struct offline_queue_options {
    /// Messages held at most; 0 queues none (every send while disconnected
    /// is refused as drop_newest or fail would).
    std::size_t max_messages = 1024;
    /// Payload bytes held at most. A message larger than this is never queued,
    /// whatever when_full says: it is refused as drop_newest or fail would.
    std::size_t max_bytes = 1024 * 1024;
    /// What a send that does not fit does.
    offline_queue_policy when_full = offline_queue_policy::drop_oldest;
    /// On a reconnect, true sends the queued messages in order (after on_open),
    /// false discards them (completions get asio::error::operation_aborted).
    /// Messages queued before the first connection opened are always sent.
    bool flush_on_reconnect = true;
};

/// Everything connect() takes besides the URL and the handlers.
struct resilient_options {
    client_options client;         ///< the handshake (and proxy) of every attempt
    reconnect_options reconnect;   ///< when to try again, and when to give up
    offline_queue_options offline; ///< the sends held while disconnected
};

/// Why a resilient client stopped trying.
struct give_up_info {
    error_code error;         ///< the last attempt's error
    int handshake_status = 0; ///< the HTTP status when the last handshake was refused (e.g. 403), else 0
    std::size_t attempts = 0; ///< reconnection attempts made since the last open
};

/// The callbacks of a resilient client. Every handler is optional and runs on
/// the client's executor; handlers never run concurrently with each other.
template <class Connection>
struct resilient_handlers {
    /// How the connection is passed (Connection::ptr).
    using ptr = std::shared_ptr<Connection>;
    /// A connection opened; `reconnected` is false for the first one. Resume
    /// here (resubscribe, send the last sequence numbers seen): what this
    /// handler sends goes out before the offline queue, which is flushed (or
    /// discarded) when it returns.
    std::function<void(const ptr&, bool reconnected)> on_open;
    /// A whole message arrived. Its data is valid only during the call.
    std::function<void(const ptr&, const message&)> on_message;
    /// An open connection ended. A reconnect follows unless close() was called.
    std::function<void(const ptr&, const close_info&)> on_close;
    /// Reconnection attempt `attempt` (1-based) starts after `delay`.
    std::function<void(std::size_t attempt, std::chrono::milliseconds delay)> on_reconnecting;
    /// No more attempts (max_attempts, max_rejections, or error::bad_url).
    /// Queued sends have failed with error::closed, and so will later ones.
    std::function<void(const give_up_info&)> on_give_up;
    /// An attempt failed (see basic_client::connect() for the errors), or an
    /// open connection failed (see connection_handlers::on_error). The
    /// connection is never null: it is the attempt's, even one that never opened.
    std::function<void(const ptr&, error_code)> on_error;
};

namespace detail {

// The state of a resilient client, shared with its timer and its connections'
// handlers (weakly: a connection never keeps it alive). Touched only on `executor`.
template <class Config>
class resilient_state : public std::enable_shared_from_this<resilient_state<Config>> {
public:
    using client_type = basic_client<Config>;
    using connection_type = typename client_type::connection_type;
    using connection_ptr = typename client_type::connection_ptr;
    using handlers_type = resilient_handlers<connection_type>;
    using completion = std::function<void(error_code)>;
    using executor_type = detail::executor_for<Config>;

    explicit resilient_state(asio::io_context& io, std::shared_ptr<client_type> client)
        : executor(detail::make_executor<Config>(io)), client_(std::move(client)), timer_(executor),
          random_(std::random_device{}()) {}

    // Run fn(state) on the executor: inline when already there, posted otherwise.
    template <class Fn>
    static void on_executor(const std::shared_ptr<resilient_state>& self, Fn&& fn) {
        if (self->executor.running_in_this_thread()) return fn(*self);
        asio::post(self->executor, [self, f = std::forward<Fn>(fn)]() mutable { f(*self); });
    }

    void connect(std::string url, handlers_type handlers, resilient_options options) {
        timer_.cancel();
        if (auto old = std::exchange(connection_, nullptr))
            old->close(close_code::normal, {}); // its handlers are stale now
        open.store(false, std::memory_order_relaxed);
        url_ = std::move(url);
        handlers_ = std::move(handlers);
        options_ = std::move(options);
        active_ = true;
        ever_opened_ = false;
        attempts_ = 0;
        rejections_ = 0;
        start_attempt();
    }

    void send(message_kind kind, std::string_view payload, completion done) {
        if (connection_ && connection_->is_open()) return connection_->send(kind, payload, std::move(done));
        if (!active_) return complete(done, make_error_code(error::closed));
        const auto& o = options_.offline;
        const auto fits = [&] {
            return queue_.size() < o.max_messages && queued_bytes_ + payload.size() <= o.max_bytes;
        };
        if (!fits()) {
            const bool can_make_room = o.when_full == offline_queue_policy::drop_oldest && o.max_messages != 0 &&
                                       payload.size() <= o.max_bytes;
            if (!can_make_room)
                return complete(done, o.when_full == offline_queue_policy::fail
                                          ? make_error_code(error::send_queue_full)
                                          : make_error_code(asio::error::operation_aborted));
            while (!fits())
                pop_front(asio::error::operation_aborted);
        }
        queued_bytes_ += payload.size();
        queue_.push_back({kind, std::string(payload), std::move(done)});
        queued_count.store(queue_.size(), std::memory_order_relaxed);
    }

    void close(std::uint16_t code, std::string_view reason) {
        active_ = false;
        timer_.cancel();
        fail_queue(error::closed);
        if (connection_) connection_->close(code, reason); // kept: its on_close still reaches the application
    }

    // The owner is gone: nothing more may reach its handlers.
    void shut_down() {
        close(close_code::going_away, {});
        handlers_ = {};
    }

    executor_type executor;
    std::atomic<bool> open{false};
    std::atomic<std::size_t> queued_count{0};

private:
    struct queued_message {
        message_kind kind;
        std::string data;
        completion done;
    };

    // Lives in the handlers given to basic_client for one attempt: when the
    // last copy goes (the attempt failed or its connection finished), the
    // attempt is over, whichever way it ended.
    struct attempt_guard {
        std::weak_ptr<resilient_state> owner;
        std::uint64_t id = 0;
        std::shared_ptr<client_type> client; // its metrics outlive the connection
        ~attempt_guard() {
            if (auto self = owner.lock()) asio::post(self->executor, [self, id = id] { self->attempt_ended(id); });
        }
    };

    static void complete(completion& done, error_code ec) {
        if (done) done(ec);
    }

    void start_attempt() {
        const std::uint64_t id = ++attempt_id_;
        last_error_ = {};
        last_status_ = 0;
        const std::weak_ptr<resilient_state> weak = this->shared_from_this();
        const auto guard = std::make_shared<attempt_guard>();
        guard->owner = weak;
        guard->id = id;
        guard->client = client_;
        typename client_type::handlers_type h;
        h.on_open = [weak, guard](const connection_ptr& c) {
            hop(weak, [c, id = guard->id](resilient_state& s) { s.opened(c, id); });
        };
        h.on_message = [weak, guard](const connection_ptr& c, const message& m) {
            const auto self = weak.lock();
            if (!self) return;
            if (self->executor.running_in_this_thread()) return self->received(c, m, guard->id);
            // Another strand (multi_threaded): the data must outlive the call.
            asio::post(self->executor, [self, c, id = guard->id, kind = m.kind, data = m.to_string()] {
                self->received(c, message{kind, data}, id);
            });
        };
        h.on_close = [weak, guard](const connection_ptr& c, const close_info& info) {
            hop(weak, [c, info, id = guard->id](resilient_state& s) { s.closed(c, info, id); });
        };
        h.on_error = [weak, guard](const connection_ptr& c, error_code ec) {
            const int status = c ? c->handshake_status() : 0;
            hop(weak, [c, ec, status, id = guard->id](resilient_state& s) { s.failed(c, ec, status, id); });
        };
        client_->connect(url_, std::move(h), options_.client);
    }

    template <class Fn>
    static void hop(const std::weak_ptr<resilient_state>& weak, Fn&& fn) {
        if (auto self = weak.lock()) on_executor(self, std::forward<Fn>(fn));
    }

    void opened(const connection_ptr& c, std::uint64_t id) {
        if (id != attempt_id_ || !active_) return c->close(close_code::going_away, {}); // close() or connect() since
        connection_ = c;
        open.store(true, std::memory_order_relaxed);
        attempts_ = 0;
        rejections_ = 0;
        const bool reconnected = ever_opened_;
        ever_opened_ = true;
        if (handlers_.on_open) handlers_.on_open(c, reconnected);
        if (!active_ || connection_ != c) return; // on_open called close() or connect()
        // The documented order: what on_open sent, then the offline queue.
        auto pending = std::move(queue_);
        queue_.clear();
        queued_bytes_ = 0;
        queued_count.store(0, std::memory_order_relaxed);
        const bool discard = reconnected && !options_.offline.flush_on_reconnect;
        for (auto& m : pending) {
            if (discard)
                complete(m.done, make_error_code(asio::error::operation_aborted));
            else
                c->send(m.kind, m.data, std::move(m.done));
        }
    }

    void received(const connection_ptr& c, const message& m, std::uint64_t id) {
        if (id == attempt_id_ && c == connection_ && handlers_.on_message) handlers_.on_message(c, m);
    }

    void closed(const connection_ptr& c, const close_info& info, std::uint64_t id) {
        if (id != attempt_id_ || c != connection_) return; // one the application never saw open
        connection_.reset();
        open.store(false, std::memory_order_relaxed);
        if (handlers_.on_close) handlers_.on_close(c, info);
    }

    void failed(const connection_ptr& c, error_code ec, int status, std::uint64_t id) {
        if (id != attempt_id_) return;
        last_error_ = ec;
        last_status_ = ec == error::handshake_failed ? status : 0;
        if (handlers_.on_error) handlers_.on_error(c, ec);
    }

    void attempt_ended(std::uint64_t id) {
        if (id != attempt_id_) return;
        if (connection_) { // the connection finished without on_close (never the case today)
            connection_.reset();
            open.store(false, std::memory_order_relaxed);
        }
        if (active_) schedule_attempt();
    }

    void schedule_attempt() {
        const auto& o = options_.reconnect;
        const bool refused = last_status_ >= 400 && last_status_ < 500;
        rejections_ = refused ? rejections_ + 1 : 0;
        if (last_error_ == error::bad_url || (o.max_rejections != 0 && rejections_ >= o.max_rejections) ||
            (o.max_attempts != 0 && attempts_ >= o.max_attempts))
            return give_up();
        ++attempts_;
        const auto delay = reconnect_delay(o, attempts_, std::uniform_real_distribution<double>(-1.0, 1.0)(random_));
        if (handlers_.on_reconnecting) handlers_.on_reconnecting(attempts_, delay);
        if (!active_) return; // close() from the handler
        timer_.expires_after(delay);
        timer_.async_wait([self = this->shared_from_this(), id = attempt_id_](error_code ec) {
            if (!ec && self->active_ && id == self->attempt_id_) self->start_attempt();
        });
    }

    void give_up() {
        active_ = false;
        fail_queue(error::closed);
        if (handlers_.on_give_up) handlers_.on_give_up(give_up_info{last_error_, last_status_, attempts_});
    }

    void pop_front(error_code ec) {
        auto m = std::move(queue_.front());
        queue_.pop_front();
        queued_bytes_ -= m.data.size();
        queued_count.store(queue_.size(), std::memory_order_relaxed);
        complete(m.done, ec);
    }

    template <class Code>
    void fail_queue(Code code) {
        while (!queue_.empty())
            pop_front(make_error_code(code));
    }

    std::shared_ptr<client_type> client_; // shared with each attempt_guard
    asio::steady_timer timer_;
    std::minstd_rand random_;
    std::string url_;
    handlers_type handlers_;
    resilient_options options_;
    connection_ptr connection_; // the open connection, if any
    std::deque<queued_message> queue_;
    std::size_t queued_bytes_ = 0;
    std::uint64_t attempt_id_ = 0; // handlers of older attempts are ignored
    std::size_t attempts_ = 0;     // reconnection attempts since the last open
    std::size_t rejections_ = 0;   // 4xx refusals in a row
    error_code last_error_;
    int last_status_ = 0;
    bool active_ = false; // connect() called; neither close() nor give-up since
    bool ever_opened_ = false;
};

} // namespace detail

/// A client that keeps a connection to one URL up (see resilient_client.hpp
/// for an example). It makes each attempt with a basic_client of its own.
///
/// Order on every open: on_open(c, reconnected) runs first; whatever it sends
/// goes out first; then the offline queue is sent in order (or discarded, see
/// offline_queue_options::flush_on_reconnect); then any later send.
///
/// @par Thread safety
/// Handlers run on the client's executor, as with basic_client. Every public
/// member function may be called from any thread: calls from other threads are
/// posted to the executor, so sends from one thread keep their order.
/// A deliberate close() ends the connection and stops reconnecting.
template <class Config>
class basic_resilient_client {
    using state_type = detail::resilient_state<Config>;

public:
    /// The Config of the client and its connections.
    using config_type = Config;
    /// The client that makes each attempt.
    using client_type = basic_client<Config>;
    /// The connections it makes, one per attempt.
    using connection_type = typename client_type::connection_type;
    /// How connections are held and passed to handlers.
    using connection_ptr = typename client_type::connection_ptr;
    /// The handlers connect() takes.
    using handlers_type = resilient_handlers<connection_type>;
    /// Reports the outcome of one send, once (see send()).
    using completion = std::function<void(error_code)>;
    /// The TLS context a TLS client is made with (unused by plain transports).
    using tls_context_type = typename client_type::tls_context_type;

    /// A client without TLS (transport::tcp, transport::unix_socket).
    explicit basic_resilient_client(asio::io_context& io)
        : state_(std::make_shared<state_type>(io, std::make_shared<client_type>(io))) {}
    /// A TLS client (see basic_client); `context` must outlive this object's connections.
    basic_resilient_client(asio::io_context& io, tls_context_type& context)
        : state_(std::make_shared<state_type>(io, std::make_shared<client_type>(io, context))) {}
    basic_resilient_client(const basic_resilient_client&) = delete;
    basic_resilient_client& operator=(const basic_resilient_client&) = delete;
    /// Closes the connection (1001) and stops reconnecting; queued sends fail
    /// with error::closed. Run on the executor (e.g. in a handler), no handler
    /// runs after it; from elsewhere the shutdown is posted, and handlers
    /// already queued on the executor may still run before it.
    ~basic_resilient_client() {
        state_type::on_executor(state_, [](state_type& s) { s.shut_down(); });
    }

    /// Connect to `url` and keep a connection to it: the first attempt starts
    /// now; after a failed attempt or a lost connection the next one follows
    /// reconnect_delay(). Calling it again starts over with the new arguments:
    /// the previous connection is closed (1000) without reaching the handlers;
    /// queued sends stay queued.
    /// @param url a URL basic_client::connect() takes; error::bad_url makes
    /// the client give up after the first attempt.
    void connect(std::string url, handlers_type handlers, resilient_options options = {}) {
        state_type::on_executor(
            state_, [u = std::move(url), h = std::move(handlers), o = std::move(options)](state_type& s) mutable {
                s.connect(std::move(u), std::move(h), std::move(o));
            });
    }

    /// Send on the open connection, or queue while there is none; the payload
    /// is copied. `done` (optional) runs once: when written, or with the error:
    /// - error::closed before connect(), after close() or after giving up;
    /// - for a full queue, the error offline_queue_policy gives;
    /// - once handed to a connection, those of basic_connection::send().
    ///
    /// Called on the executor, `done` may run before send() returns.
    void send(message_kind kind, std::string_view payload, completion done = {}) {
        if (state_->executor.running_in_this_thread()) return state_->send(kind, payload, std::move(done));
        asio::post(state_->executor, [s = state_, kind, copy = std::string(payload), d = std::move(done)]() mutable {
            s->send(kind, copy, std::move(d));
        });
    }
    /// Send a text message (RFC 6455 5.6); see send().
    void send_text(std::string_view text, completion done = {}) { send(message_kind::text, text, std::move(done)); }
    /// Send a binary message; see send().
    void send_binary(std::string_view bytes, completion done = {}) {
        send(message_kind::binary, bytes, std::move(done));
    }

    /// Close the connection with `code` and stop reconnecting; queued messages
    /// fail with error::closed. on_close still reports the open connection's end.
    void close(std::uint16_t code = close_code::normal, std::string_view reason = {}) {
        state_type::on_executor(state_, [code, r = std::string(reason)](state_type& s) { s.close(code, r); });
    }

    /// Whether a connection is open now (approximate from another thread).
    bool is_open() const noexcept { return state_->open.load(std::memory_order_relaxed); }
    /// Messages in the offline queue (approximate from another thread).
    std::size_t queued() const noexcept { return state_->queued_count.load(std::memory_order_relaxed); }
    /// The executor the handlers run on.
    typename state_type::executor_type get_executor() const noexcept { return state_->executor; }

private:
    std::shared_ptr<state_type> state_;
};

/// A plain TCP resilient client with the default configuration.
using resilient_client = basic_resilient_client<config::client>;

} // namespace duplex
