/// @file
/// JSON-RPC 2.0 over one WebSocket connection, in both directions, with
/// Socket.IO-style events with acknowledgements, for any JSON library: the
/// Codec policy parses, writes, inspects and builds values. The ready-made
/// policy for nlohmann/json and the short names are in rpc/json_rpc.hpp.
///
/// A Codec provides:
/// @code
///   using value = ...;                                   // default-constructs to null
///   static bool parse(std::string_view, value& out);     // false: not JSON
///   static std::string dump(const value&);
///   template <class T> static T to(const value&);        // throws std::exception on mismatch
///   template <class T> static value from(T&&);
///   static bool is_object(const value&), is_array(const value&), is_null(const value&);
///   static const value* member(const value&, std::string_view key);   // null when absent
///   static std::optional<std::string_view> as_string(const value&);
///   static std::optional<std::int64_t> as_int(const value&);          // integral numbers only
///   static std::optional<std::uint64_t> as_uint(const value&);        // non-negative integral only
///   static std::size_t size(const value& array);
///   static const value& at(const value& array, std::size_t i);
///   static value string(std::string_view), integer(std::int64_t), object(), array();
///   static void set(value& object, std::string_view key, value v);
///   static void push(value& array, value v);
/// @endcode
#pragma once

#include <duplex/config/asio.hpp>
#include <duplex/connection/message.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

/// JSON-RPC 2.0 over a connection, both ways, with events and acknowledgements.
namespace duplex::rpc {

/// Error codes: the JSON-RPC 2.0 ones (section 5.1), then this layer's
/// (-32000 to -32099 are reserved for implementations). Applications use
/// their own codes.
namespace code {
inline constexpr int parse_error = -32700;       ///< the message is not JSON
inline constexpr int invalid_request = -32600;   ///< not a valid request (also: nesting too deep, empty or large batch)
inline constexpr int method_not_found = -32601;  ///< no such method, or no handler for an emitted event
inline constexpr int invalid_params = -32602;    ///< the params do not convert to the method's parameter type
inline constexpr int internal_error = -32603;    ///< the method threw an exception other than basic_rpc_error
inline constexpr int timeout = -32000;           ///< no response within the call's timeout
inline constexpr int connection_closed = -32001; ///< the connection ended before the response
inline constexpr int too_many_pending = -32002;  ///< the pending-call bound was reached
} // namespace code

/// Deepest nesting of arrays and objects in JSON text, found without parsing,
/// so a hostile message is refused before a parser recurses into it.
inline std::size_t nesting_depth(std::string_view text) noexcept {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest) deepest = depth;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

/// An error object (JSON-RPC 2.0 section 5.1).
template <class Codec>
struct basic_error {
    int code = 0;               ///< one of rpc::code, or an application's own
    std::string message;        ///< a short description
    typename Codec::value data; ///< null when absent
};

/// Throw from a method added with registry::add() to answer with this error
/// object instead of internal_error; what() is its message.
template <class Codec>
class basic_rpc_error : public std::runtime_error {
public:
    /// An error with `code`, `message` and optional `data` (null: none sent).
    basic_rpc_error(int code, const std::string& message, typename Codec::value data = {})
        : std::runtime_error(message), code_(code), data_(std::move(data)) {}
    /// The error code sent.
    int code() const noexcept { return code_; }
    /// The error's data member; null when none is sent.
    const typename Codec::value& data() const noexcept { return data_; }

private:
    int code_;
    typename Codec::value data_;
};

/// The outcome of a call: a result, or an error.
template <class Codec>
struct basic_outcome {
    bool ok = false;              ///< true: `result` holds the peer's result; false: see `error`
    typename Codec::value result; ///< the result, when ok
    /// When not ok: the peer's error object, or code::timeout,
    /// code::connection_closed or code::too_many_pending from this side.
    basic_error<Codec> error;
};

/// Bounds of one basic_session, against a peer that floods or sends hostile JSON.
struct limits {
    /// Our calls awaiting a response, and (counted apart) the peer's awaiting
    /// ours; past it a call fails, and a request is answered, with too_many_pending.
    std::size_t max_pending = 1024;
    /// The timeout of a call() or emit() that names none.
    std::chrono::milliseconds default_timeout{10000};
    std::size_t max_depth = 64;  ///< nesting of arrays and objects in one message (past it: invalid_request)
    std::size_t max_batch = 100; ///< requests in one batch (past it: invalid_request)
    /// Longest string id accepted in a request (past it: invalid_request).
    std::size_t max_id_length = 256;
};

namespace detail {
template <class T>
inline constexpr char type_tag = 0; // one address per type, without RTTI
} // namespace detail

/// Which connection a request or event came through, so that one registry
/// shared by all connections can still act on the caller's (its user data,
/// its subscriptions). Holds it weakly: a handler that replies later does not
/// keep a closed connection alive.
class caller {
public:
    /// No connection: connection() returns null.
    caller() = default;
    /// The connection `c`, held weakly and remembered with its type.
    template <class Connection>
    explicit caller(std::weak_ptr<Connection> c) noexcept
        : connection_(std::move(c)), type_(&detail::type_tag<Connection>) {}

    /// The calling connection as `Connection` (the server's or client's
    /// connection_type); null when it is gone, or when it is of another type.
    template <class Connection>
    std::shared_ptr<Connection> connection() const noexcept {
        if (type_ != &detail::type_tag<Connection>) return nullptr;
        return std::static_pointer_cast<Connection>(connection_.lock());
    }

private:
    std::weak_ptr<void> connection_;
    const char* type_ = nullptr;
};

/// Replies to one request, now or later (asynchronous handlers), from any
/// thread. Replying a second time through the same object, or after the
/// connection closed, does nothing.
///
/// Every request's responder must reply or fail in the end: one dropped
/// without a reply leaves the peer waiting (a batch's whole response is never
/// sent) and keeps counting against limits::max_pending. Reply through one
/// object only: a copy replies again, and the peer gets two responses.
template <class Codec>
class basic_responder {
public:
    /// The Codec's JSON value.
    using value = typename Codec::value;
    /// A responder that sends nothing (false), as a notification's.
    basic_responder() = default;
    /// A responder that hands its reply to `send`: (result, null) or (null, &error).
    explicit basic_responder(std::function<void(value, const basic_error<Codec>*)> send, caller from = {})
        : send_(std::move(send)), from_(std::move(from)) {}
    /// The connection the request came through.
    const caller& from() const noexcept { return from_; }
    /// Answer with `result`.
    void reply(value result) {
        if (auto s = std::exchange(send_, nullptr)) s(std::move(result), nullptr);
    }
    /// Answer with an error object (`data` null: none).
    void fail(int code, const std::string& message, value data = {}) {
        const basic_error<Codec> e{code, message, std::move(data)};
        if (auto s = std::exchange(send_, nullptr)) s(value{}, &e);
    }
    /// True while a reply is expected: false once replied, and for a
    /// notification (the peer wants no response).
    explicit operator bool() const noexcept { return static_cast<bool>(send_); }

private:
    std::function<void(value, const basic_error<Codec>*)> send_;
    caller from_;
};

/// Methods and events a side offers, shared by all its connections' sessions.
/// Adding a name again replaces its handler.
///
/// @par Thread safety
/// Not synchronized: fill it, then share it as `shared_ptr<const registry>`;
/// its handlers then run on each calling connection's executor, possibly
/// several at once on a multi-threaded server.
template <class Codec>
class registry {
public:
    /// The Codec's JSON value.
    using value = typename Codec::value;
    /// What an asynchronous method replies through.
    using responder = basic_responder<Codec>;
    /// A method as the session calls it: the params (null when absent) and
    /// the responder (one that sends nothing for a notification).
    using async_method = std::function<void(const value& params, responder reply)>;
    /// Acknowledges an event with a value; does nothing if the peer asked for no ack.
    using ack = std::function<void(value)>;
    /// An event handler as the session calls it: the payload (null when
    /// absent), the acknowledgement, and the calling connection.
    using event_handler = std::function<void(const value& payload, ack acknowledge, const caller& from)>;

    /// A method with typed parameters and result: `fn(Params) -> Result`, or
    /// `fn(Params, const caller&) -> Result` to learn the calling connection.
    /// Fn is a lambda or function object with one, non-template operator();
    /// Result is not void (Codec::from() converts it).
    /// Parameters that do not convert to Params get -32602; a basic_rpc_error
    /// thrown by fn becomes its error object; another std::exception -32603,
    /// with its what() sent to the peer as the message.
    template <class Fn>
    void add(const std::string& name, Fn fn) {
        using params_type = std::decay_t<typename first_argument<decltype(&Fn::operator())>::type>;
        methods_[name] = [fn = std::move(fn)](const value& params, responder reply) mutable {
            std::optional<params_type> p;
            try {
                p.emplace(Codec::template to<params_type>(params));
            } catch (const std::exception& e) {
                return reply.fail(code::invalid_params, std::string("invalid params: ") + e.what());
            }
            try {
                if constexpr (std::is_invocable_v<Fn&, params_type, const caller&>)
                    reply.reply(Codec::from(fn(std::move(*p), reply.from())));
                else
                    reply.reply(Codec::from(fn(std::move(*p))));
            } catch (const basic_rpc_error<Codec>& e) {
                reply.fail(e.code(), e.what(), e.data());
            } catch (const std::exception& e) {
                reply.fail(code::internal_error, e.what());
            }
        };
    }

    /// A method that replies through `reply`, now or later, from any thread;
    /// `reply.from()` tells the calling connection. Exceptions are not caught.
    void add_async(const std::string& name, async_method fn) { methods_[name] = std::move(fn); }

    /// An event the peer may emit: `fn(payload, acknowledge)` or
    /// `fn(payload, acknowledge, const caller&)`; `acknowledge(value)` answers
    /// when the peer asked for an ack.
    template <class Fn>
    void on(const std::string& event, Fn fn) {
        if constexpr (std::is_invocable_v<Fn&, const value&, ack, const caller&>)
            events_[event] = std::move(fn);
        else
            events_[event] = [fn = std::move(fn)](const value& payload, ack acknowledge, const caller&) mutable {
                fn(payload, std::move(acknowledge));
            };
    }

    /// The method registered as `name`, or null.
    const async_method* find(std::string_view name) const {
        const auto it = methods_.find(name);
        return it == methods_.end() ? nullptr : &it->second;
    }
    /// The handler registered for `event`, or null.
    const event_handler* find_event(std::string_view event) const {
        const auto it = events_.find(event);
        return it == events_.end() ? nullptr : &it->second;
    }

private:
    template <class>
    struct first_argument;
    template <class C, class R, class A>
    struct first_argument<R (C::*)(A) const> {
        using type = A;
    };
    template <class C, class R, class A>
    struct first_argument<R (C::*)(A)> {
        using type = A;
    };
    template <class C, class R, class A, class B>
    struct first_argument<R (C::*)(A, B) const> {
        using type = A;
    };
    template <class C, class R, class A, class B>
    struct first_argument<R (C::*)(A, B)> {
        using type = A;
    };

    std::map<std::string, async_method, std::less<>> methods_;
    std::map<std::string, event_handler, std::less<>> events_;
};

/// JSON-RPC on one connection (either role): answers the peer's requests with
/// the registry's methods and sends our own calls, notifications and events.
/// Messages go out as text through the connection's send queue.
///
/// @par Thread safety
/// Feed it from on_message (handle()) and on_close (close()), on the
/// connection's executor; call(), notify(), emit() and close() may come from
/// any thread. Results, timeouts and handlers all run on the connection's
/// executor.
template <class Connection, class Codec>
class basic_session : public std::enable_shared_from_this<basic_session<Connection, Codec>> {
public:
    /// The Codec's JSON value.
    using value = typename Codec::value;
    /// What a call's result handler receives.
    using outcome = basic_outcome<Codec>;
    /// An error object.
    using error = basic_error<Codec>;
    /// What an asynchronous method replies through.
    using responder = basic_responder<Codec>;
    /// How the connection is passed to make().
    using connection_ptr = std::shared_ptr<Connection>;
    /// Receives the outcome of a call() or an acknowledged emit(), once.
    using result_handler = std::function<void(const outcome&)>;

    /// A session for connection `c`, held weakly (keep the session, e.g. in
    /// the connection's user data), answering with `methods` (null: every
    /// request gets method_not_found).
    static std::shared_ptr<basic_session> make(const connection_ptr& c, std::shared_ptr<const registry<Codec>> methods,
                                               limits l = {}) {
        return std::shared_ptr<basic_session>(new basic_session(c, std::move(methods), l));
    }
    basic_session(const basic_session&) = delete;
    basic_session& operator=(const basic_session&) = delete;

    /// Feed a received message: answer the peer's requests (and errors for
    /// what is not valid JSON-RPC) and complete our calls it responds to.
    /// @return false for a binary message, left to the caller.
    bool handle(const duplex::message& m) {
        if (!m.is_text()) return false;
        handle_text(m.data);
        return true;
    }

    /// Call a method of the peer. `done` runs once, on the connection's
    /// executor, with the result or error; called there, it may run before
    /// call() returns.
    /// @param timeout 0: limits::default_timeout. A request the send queue
    /// refused is not reported as such: the call times out.
    void call(std::string method, value params, result_handler done, std::chrono::milliseconds timeout = {}) {
        run([self = this->shared_from_this(), method = std::move(method), params = std::move(params),
             done = std::move(done),
             timeout]() mutable { self->start_call(std::move(method), std::move(params), std::move(done), timeout); });
    }
    /// Send a notification: a request without an id, which the peer does not answer.
    void notify(std::string method, value params = {}) {
        run([self = this->shared_from_this(), method = std::move(method), params = std::move(params)]() mutable {
            self->send(request_object(method, std::move(params), nullptr));
        });
    }
    /// Emit an event; with `on_ack`, the peer's acknowledgement (or the timeout
    /// or close error) comes back through it. Sent as the method "rpc.emit"
    /// (names starting with "rpc." are reserved for extensions like this).
    void emit(std::string event, value payload, result_handler on_ack = {}, std::chrono::milliseconds timeout = {}) {
        value params = Codec::object();
        Codec::set(params, "event", Codec::string(event));
        Codec::set(params, "data", std::move(payload));
        if (on_ack)
            call("rpc.emit", std::move(params), std::move(on_ack), timeout);
        else
            notify("rpc.emit", std::move(params));
    }

    /// The connection ended: every pending call fails with connection_closed,
    /// and so does every later call().
    void close() {
        run([self = this->shared_from_this()] { self->fail_all(); });
    }

    /// Our calls awaiting a response. Read it on the connection's executor.
    std::size_t pending_calls() const noexcept { return pending_.size(); }

private:
    struct pending_call {
        result_handler done;
        std::unique_ptr<asio::steady_timer> timer;
    };

    basic_session(const connection_ptr& c, std::shared_ptr<const registry<Codec>> methods, limits l)
        : connection_(c), executor_(c->get_executor()), methods_(std::move(methods)), limits_(l) {}

    template <class Fn>
    void run(Fn&& fn) {
        asio::dispatch(executor_, std::forward<Fn>(fn));
    }

    void send(const value& v) {
        if (auto c = connection_.lock()) c->send_text(Codec::dump(v));
    }

    static value request_object(std::string_view method, value params, const value* id) {
        value r = Codec::object();
        Codec::set(r, "jsonrpc", Codec::string("2.0"));
        Codec::set(r, "method", Codec::string(method));
        if (!Codec::is_null(params)) Codec::set(r, "params", std::move(params));
        if (id) Codec::set(r, "id", *id);
        return r;
    }
    static value error_object(const value& id, const error& e) {
        value err = Codec::object();
        Codec::set(err, "code", Codec::integer(e.code));
        Codec::set(err, "message", Codec::string(e.message));
        if (!Codec::is_null(e.data)) Codec::set(err, "data", e.data);
        value r = Codec::object();
        Codec::set(r, "jsonrpc", Codec::string("2.0"));
        Codec::set(r, "error", std::move(err));
        Codec::set(r, "id", id);
        return r;
    }
    static value error_object(const value& id, int code, const char* message) {
        return error_object(id, error{code, message, value{}});
    }
    static value result_object(const value& id, value result) {
        value r = Codec::object();
        Codec::set(r, "jsonrpc", Codec::string("2.0"));
        Codec::set(r, "result", std::move(result));
        Codec::set(r, "id", id);
        return r;
    }

    void start_call(std::string method, value params, result_handler done, std::chrono::milliseconds timeout) {
        outcome failure;
        if (closed_ || connection_.expired()) {
            failure.error = {code::connection_closed, "connection closed", value{}};
            if (done) done(failure);
            return;
        }
        if (pending_.size() >= limits_.max_pending) {
            failure.error = {code::too_many_pending, "too many pending calls", value{}};
            if (done) done(failure);
            return;
        }
        const std::uint64_t id = ++last_id_; // 64 bits: never wraps, so ids never collide
        auto& call = pending_[id];
        call.done = std::move(done);
        call.timer = std::make_unique<asio::steady_timer>(executor_);
        call.timer->expires_after(timeout.count() > 0 ? timeout : limits_.default_timeout);
        call.timer->async_wait([weak = this->weak_from_this(), id](error_code ec) {
            auto self = weak.lock();
            if (ec || !self) return;
            outcome o;
            o.error = {code::timeout, "timed out", value{}};
            self->finish(id, o);
        });
        const value id_value = Codec::from(id);
        send(request_object(method, std::move(params), &id_value));
    }

    void finish(std::uint64_t id, const outcome& o) {
        const auto it = pending_.find(id);
        if (it == pending_.end()) return; // late or unknown: ignored
        auto done = std::move(it->second.done);
        it->second.timer->cancel();
        pending_.erase(it);
        if (done) done(o);
    }

    void fail_all() {
        closed_ = true;
        auto pending = std::move(pending_);
        pending_.clear();
        outcome o;
        o.error = {code::connection_closed, "connection closed", value{}};
        for (auto& [id, call] : pending) {
            call.timer->cancel();
            if (call.done) call.done(o);
        }
    }

    // ---- incoming ------------------------------------------------------------

    // A batch's responses are sent together once every element is answered.
    struct batch_state {
        value responses = Codec::array();
        std::size_t outstanding = 0;
    };

    void handle_text(std::string_view text) {
        if (nesting_depth(text) > limits_.max_depth)
            return send(error_object(value{}, code::invalid_request, "nesting too deep"));
        value v;
        if (!Codec::parse(text, v)) return send(error_object(value{}, code::parse_error, "parse error"));
        if (Codec::is_array(v)) {
            const auto n = Codec::size(v);
            if (n == 0) return send(error_object(value{}, code::invalid_request, "empty batch"));
            if (n > limits_.max_batch) return send(error_object(value{}, code::invalid_request, "batch too large"));
            auto batch = std::make_shared<batch_state>();
            batch->outstanding = n;
            for (std::size_t i = 0; i < n; ++i)
                handle_one(Codec::at(v, i), batch);
            return;
        }
        handle_one(v, nullptr);
    }

    // Record one element's response (a null value: none) and send when complete.
    void answer(const std::shared_ptr<batch_state>& batch, value response) {
        if (!batch) {
            if (!Codec::is_null(response)) send(response);
            return;
        }
        if (!Codec::is_null(response)) Codec::push(batch->responses, std::move(response));
        if (--batch->outstanding == 0 && Codec::size(batch->responses) != 0) send(batch->responses);
    }

    bool valid_id(const value& id) const {
        if (const auto s = Codec::as_string(id)) return s->size() <= limits_.max_id_length;
        return Codec::is_null(id) || Codec::as_int(id) || Codec::as_uint(id);
    }

    void handle_one(const value& v, const std::shared_ptr<batch_state>& batch) {
        if (!Codec::is_object(v)) return answer(batch, error_object(value{}, code::invalid_request, "not an object"));
        const value* id = Codec::member(v, "id");
        const value* method = Codec::member(v, "method");
        const value* result = Codec::member(v, "result");
        const value* err = Codec::member(v, "error");
        if (!method && (result || err)) return take_response(id, result, err, batch);

        const value reply_id = id && valid_id(*id) ? *id : value{};
        const value* version = Codec::member(v, "jsonrpc");
        const value* params = Codec::member(v, "params");
        const auto version_text = version ? Codec::as_string(*version) : std::nullopt;
        const auto name = method ? Codec::as_string(*method) : std::nullopt;
        if (!version_text || *version_text != "2.0" || !name || (id && !valid_id(*id)) ||
            (params && !Codec::is_array(*params) && !Codec::is_object(*params)))
            return answer(batch, error_object(reply_id, code::invalid_request, "invalid request"));
        const value params_value = params ? *params : value{};

        // The reply path: nothing for a notification.
        responder reply({}, caller(connection_));
        if (id) {
            if (incoming_ >= limits_.max_pending)
                return answer(batch, error_object(reply_id, code::too_many_pending, "too many pending requests"));
            ++incoming_;
            reply = responder(
                [weak = this->weak_from_this(), reply_id, batch](value r, const error* e) {
                    auto self = weak.lock();
                    if (!self) return;
                    asio::dispatch(self->executor_, [self, reply_id, batch, r = std::move(r),
                                                     e = e ? std::optional<error>(*e) : std::nullopt]() mutable {
                        --self->incoming_;
                        self->answer(batch, e ? error_object(reply_id, *e) : result_object(reply_id, std::move(r)));
                    });
                },
                caller(connection_));
        }
        if (*name == "rpc.emit") return dispatch_event(params_value, std::move(reply), batch);
        const auto* fn = methods_ ? methods_->find(*name) : nullptr;
        if (!fn) {
            if (reply) return reply.fail(code::method_not_found, "method not found: " + std::string(*name));
            return answer(batch, value{});
        }
        if (!id) {
            (*fn)(params_value, std::move(reply)); // a notification runs for its effect, with no reply
            return answer(batch, value{});
        }
        (*fn)(params_value, std::move(reply));
    }

    // A response to one of our calls; in a batch it is not answered.
    void take_response(const value* id, const value* result, const value* err,
                       const std::shared_ptr<batch_state>& batch) {
        if (const auto n = id ? Codec::as_uint(*id) : std::nullopt) {
            outcome o;
            if (result) {
                o.ok = true;
                o.result = *result;
            } else {
                const value* c = Codec::member(*err, "code");
                const value* m = Codec::member(*err, "message");
                const auto code_value = c ? Codec::as_int(*c) : std::nullopt;
                const auto message = m ? Codec::as_string(*m) : std::nullopt;
                o.error.code = code_value ? static_cast<int>(*code_value) : code::internal_error;
                o.error.message = message ? std::string(*message) : std::string("malformed error");
                if (const value* d = Codec::member(*err, "data")) o.error.data = *d;
            }
            finish(*n, o);
        }
        answer(batch, value{});
    }

    void dispatch_event(const value& params, responder reply, const std::shared_ptr<batch_state>& batch) {
        const value* event = Codec::member(params, "event");
        const auto name = event ? Codec::as_string(*event) : std::nullopt;
        if (!name) {
            if (reply) return reply.fail(code::invalid_params, "rpc.emit wants {\"event\", \"data\"}");
            return answer(batch, value{});
        }
        const auto* handler = methods_ ? methods_->find_event(*name) : nullptr;
        if (!handler) {
            if (reply) return reply.fail(code::method_not_found, "no handler for this event");
            return answer(batch, value{});
        }
        const bool acked = static_cast<bool>(reply);
        const value* data = Codec::member(params, "data");
        auto shared = std::make_shared<responder>(std::move(reply));
        (*handler)(
            data ? *data : value{}, [shared](value ack_value) { shared->reply(std::move(ack_value)); }, shared->from());
        if (!acked) answer(batch, value{});
    }

    std::weak_ptr<Connection> connection_;
    typename Connection::executor_type executor_;
    std::shared_ptr<const registry<Codec>> methods_;
    limits limits_;
    std::unordered_map<std::uint64_t, pending_call> pending_;
    std::uint64_t last_id_ = 0;
    std::size_t incoming_ = 0;
    bool closed_ = false;
};

} // namespace duplex::rpc
