// duplex: requires json
// JSON-RPC 2.0 over one WebSocket connection, in both directions, with
// Socket.IO-style events with acknowledgements. Link duplex::rpc (nlohmann/json).
//
//   auto methods = std::make_shared<duplex::rpc::registry<>>();
//   methods->add("add", [](const std::vector<int>& xs) { return xs[0] + xs[1]; });
//   route.on_open = [&](const auto& c) { c->data().rpc = duplex::rpc::session<conn>::make(c, methods); };
//   route.on_message = [](const auto& c, const duplex::message& m) { c->data().rpc->handle(m); };
//   route.on_close = [](const auto& c, const auto&) { c->data().rpc->close(); };
//   c->data().rpc->call("client.version", nullptr, [](const duplex::rpc::outcome& r) { ... });
//
// A session runs on its connection's executor; call(), notify() and emit()
// may be made from any thread (they are posted there).
#pragma once

#include <duplex/message.hpp>

#include <asio/dispatch.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <nlohmann/json.hpp>

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

namespace duplex::rpc {

/// Error codes: the JSON-RPC 2.0 ones, then this layer's (-32000 to -32099 are
/// reserved for implementations). Applications use their own codes.
namespace code {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
inline constexpr int timeout = -32000;           ///< no response within the call's timeout
inline constexpr int connection_closed = -32001; ///< the connection ended before the response
inline constexpr int too_many_pending = -32002;  ///< the pending-call bound was reached
} // namespace code

/// The codec policy: how values are parsed and written. The default is
/// nlohmann/json; another policy provides the same members.
struct nlohmann_codec {
    using value = nlohmann::json;

    /// Parse `text`; false when it is not JSON or nests deeper than `max_depth`.
    static bool parse(std::string_view text, std::size_t max_depth, value& out) {
        if (nesting_depth(text) > max_depth) return false;
        out = value::parse(text.begin(), text.end(), nullptr, false);
        return !out.is_discarded();
    }
    static std::string dump(const value& v) { return v.dump(-1, ' ', false, value::error_handler_t::replace); }
    template <class T>
    static T to(const value& v) {
        return v.template get<T>();
    }
    template <class T>
    static value from(T&& t) {
        return value(std::forward<T>(t));
    }

    /// Deepest nesting of arrays and objects, counted without building anything.
    static std::size_t nesting_depth(std::string_view text) noexcept {
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
};

/// An error object (JSON-RPC 2.0 section 5.1).
struct error {
    int code = 0;
    std::string message;
    nlohmann::json data; ///< null when absent
};

/// Throw from a handler to answer with an application error.
class rpc_error : public std::runtime_error {
public:
    rpc_error(int code, const std::string& message, nlohmann::json data = nullptr)
        : std::runtime_error(message), code_(code), data_(std::move(data)) {}
    int code() const noexcept { return code_; }
    const nlohmann::json& data() const noexcept { return data_; }

private:
    int code_;
    nlohmann::json data_;
};

/// The outcome of a call: a result, or an error.
struct outcome {
    bool ok = false;
    nlohmann::json result;
    rpc::error error;
};

struct limits {
    std::size_t max_pending = 1024; ///< our calls awaiting a response, and the peer's awaiting ours
    std::chrono::milliseconds default_timeout{10000};
    std::size_t max_depth = 64;  ///< nesting of arrays and objects in one message
    std::size_t max_batch = 100; ///< requests in one batch
    std::size_t max_id_length = 256;
};

/// Replies to one request, now or later (asynchronous handlers). Replying
/// more than once, or after the connection closed, does nothing.
class responder {
public:
    responder() = default;
    responder(std::function<void(nlohmann::json, const rpc::error*)> send) : send_(std::move(send)) {}
    void reply(nlohmann::json result) {
        if (auto s = std::exchange(send_, nullptr)) s(std::move(result), nullptr);
    }
    void fail(int code, const std::string& message, nlohmann::json data = nullptr) {
        const rpc::error e{code, message, std::move(data)};
        if (auto s = std::exchange(send_, nullptr)) s(nullptr, &e);
    }
    explicit operator bool() const noexcept { return static_cast<bool>(send_); }

private:
    std::function<void(nlohmann::json, const rpc::error*)> send_;
};

/// Methods and events a side offers, shared by all its connections' sessions.
template <class Codec = nlohmann_codec>
class registry {
public:
    using value = typename Codec::value;
    using async_method = std::function<void(const value& params, responder reply)>;
    using ack = std::function<void(value)>;
    using event_handler = std::function<void(const value& payload, ack acknowledge)>;

    /// A method with typed parameters and result: `fn(Params) -> Result`.
    /// Parameters that do not convert to Params get -32602; an rpc_error
    /// thrown by fn becomes its error object; another exception -32603.
    template <class Fn>
    void add(const std::string& name, Fn fn) {
        using params_type = std::decay_t<typename first_argument<decltype(&Fn::operator())>::type>;
        methods_[name] = [fn = std::move(fn)](const value& params, responder reply) {
            params_type p;
            try {
                p = Codec::template to<params_type>(params);
            } catch (const std::exception& e) {
                return reply.fail(code::invalid_params, std::string("invalid params: ") + e.what());
            }
            try {
                reply.reply(Codec::from(fn(std::move(p))));
            } catch (const rpc_error& e) {
                reply.fail(e.code(), e.what(), e.data());
            } catch (const std::exception& e) {
                reply.fail(code::internal_error, e.what());
            }
        };
    }

    /// A method that replies through `reply`, now or later.
    void add_async(const std::string& name, async_method fn) { methods_[name] = std::move(fn); }

    /// An event the peer may emit; `acknowledge(value)` answers when it asked for an ack.
    void on(const std::string& event, event_handler fn) { events_[event] = std::move(fn); }

    const async_method* find(const std::string& name) const {
        const auto it = methods_.find(name);
        return it == methods_.end() ? nullptr : &it->second;
    }
    const event_handler* find_event(const std::string& event) const {
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

    std::map<std::string, async_method> methods_;
    std::map<std::string, event_handler> events_;
};

/// JSON-RPC on one connection (either role): answers the peer's requests with
/// the registry's methods and sends our own calls, notifications and events.
template <class Connection, class Codec = nlohmann_codec>
class session : public std::enable_shared_from_this<session<Connection, Codec>> {
public:
    using value = typename Codec::value;
    using connection_ptr = std::shared_ptr<Connection>;
    using result_handler = std::function<void(const outcome&)>;

    static std::shared_ptr<session> make(const connection_ptr& c, std::shared_ptr<const registry<Codec>> methods,
                                         limits l = {}) {
        return std::shared_ptr<session>(new session(c, std::move(methods), l));
    }
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    /// Feed a received message. Returns false when it was not JSON-RPC (binary).
    bool handle(const duplex::message& m) {
        if (!m.is_text()) return false;
        handle_text(m.data);
        return true;
    }

    /// Call a method of the peer. `done` runs once, on the connection's executor.
    void call(std::string method, value params, result_handler done, std::chrono::milliseconds timeout = {}) {
        run([self = this->shared_from_this(), method = std::move(method), params = std::move(params),
             done = std::move(done),
             timeout]() mutable { self->start_call(std::move(method), std::move(params), std::move(done), timeout); });
    }
    /// A notification: no response.
    void notify(std::string method, value params = nullptr) {
        run([self = this->shared_from_this(), method = std::move(method), params = std::move(params)]() mutable {
            self->send(request_object(std::move(method), std::move(params), nullptr));
        });
    }
    /// Emit an event; with `on_ack`, the peer's acknowledgement (or the timeout
    /// or close error) comes back through it.
    void emit(std::string event, value payload, result_handler on_ack = {}, std::chrono::milliseconds timeout = {}) {
        value params = {{"event", std::move(event)}, {"data", std::move(payload)}};
        if (on_ack)
            call("rpc.emit", std::move(params), std::move(on_ack), timeout);
        else
            notify("rpc.emit", std::move(params));
    }

    /// The connection ended: every pending call fails with connection_closed.
    void close() {
        run([self = this->shared_from_this()] { self->fail_all(); });
    }

    std::size_t pending_calls() const noexcept { return pending_.size(); }

private:
    struct pending_call {
        result_handler done;
        std::unique_ptr<asio::steady_timer> timer;
    };

    session(const connection_ptr& c, std::shared_ptr<const registry<Codec>> methods, limits l)
        : connection_(c), executor_(c->get_executor()), methods_(std::move(methods)), limits_(l) {}

    template <class Fn>
    void run(Fn&& fn) {
        asio::dispatch(executor_, std::forward<Fn>(fn));
    }

    void send(const value& v) {
        if (auto c = connection_.lock()) c->send_text(Codec::dump(v));
    }

    static value request_object(std::string method, value params, const value* id) {
        value r = {{"jsonrpc", "2.0"}, {"method", std::move(method)}};
        if (!params.is_null()) r["params"] = std::move(params);
        if (id) r["id"] = *id;
        return r;
    }
    static value error_object(const value& id, const rpc::error& e) {
        value err = {{"code", e.code}, {"message", e.message}};
        if (!e.data.is_null()) err["data"] = e.data;
        return {{"jsonrpc", "2.0"}, {"error", std::move(err)}, {"id", id}};
    }
    static value result_object(const value& id, value result) {
        return {{"jsonrpc", "2.0"}, {"result", std::move(result)}, {"id", id}};
    }

    void start_call(std::string method, value params, result_handler done, std::chrono::milliseconds timeout) {
        outcome failure;
        if (closed_ || connection_.expired()) {
            failure.error = {code::connection_closed, "connection closed", nullptr};
            if (done) done(failure);
            return;
        }
        if (pending_.size() >= limits_.max_pending) {
            failure.error = {code::too_many_pending, "too many pending calls", nullptr};
            if (done) done(failure);
            return;
        }
        const std::uint64_t id = ++last_id_; // 64 bits: never wraps, so ids never collide
        auto& call = pending_[id];
        call.done = std::move(done);
        call.timer = std::make_unique<asio::steady_timer>(executor_);
        call.timer->expires_after(timeout.count() > 0 ? timeout : limits_.default_timeout);
        call.timer->async_wait([weak = this->weak_from_this(), id](std::error_code ec) {
            auto self = weak.lock();
            if (ec || !self) return;
            self->finish(id, [] {
                outcome o;
                o.error = {code::timeout, "timed out", nullptr};
                return o;
            }());
        });
        const value id_value = id;
        send(request_object(std::move(method), std::move(params), &id_value));
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
        o.error = {code::connection_closed, "connection closed", nullptr};
        for (auto& [id, call] : pending) {
            call.timer->cancel();
            if (call.done) call.done(o);
        }
    }

    // ---- incoming ------------------------------------------------------------

    // A batch's responses are sent together once every request in it is answered.
    struct batch_state {
        std::vector<value> responses;
        std::size_t outstanding = 0;
    };

    void handle_text(std::string_view text) {
        value v;
        if (!Codec::parse(text, limits_.max_depth, v)) {
            const bool too_deep = Codec::nesting_depth(text) > limits_.max_depth;
            send(error_object(nullptr, {too_deep ? code::invalid_request : code::parse_error,
                                        too_deep ? "nesting too deep" : "parse error", nullptr}));
            return;
        }
        if (v.is_array()) {
            if (v.empty() || v.size() > limits_.max_batch) {
                send(error_object(nullptr,
                                  {code::invalid_request, v.empty() ? "empty batch" : "batch too large", nullptr}));
                return;
            }
            auto batch = std::make_shared<batch_state>();
            batch->outstanding = v.size();
            for (auto& element : v)
                handle_one(element, batch);
            return;
        }
        handle_one(v, nullptr);
    }

    // Answer (or record in the batch) one response object; nullptr for none.
    void answer(const std::shared_ptr<batch_state>& batch, value response) {
        if (!batch) {
            if (!response.is_null()) send(response);
            return;
        }
        if (!response.is_null()) batch->responses.push_back(std::move(response));
        if (--batch->outstanding == 0 && !batch->responses.empty()) send(value(std::move(batch->responses)));
    }

    bool valid_id(const value& id) const {
        if (id.is_string()) return id.template get_ref<const std::string&>().size() <= limits_.max_id_length;
        return id.is_null() || id.is_number_integer() || id.is_number_unsigned();
    }

    void handle_one(value& v, const std::shared_ptr<batch_state>& batch) {
        if (!v.is_object())
            return answer(batch, error_object(nullptr, {code::invalid_request, "not an object", nullptr}));
        const auto id_it = v.find("id");
        const bool has_id = id_it != v.end();
        // A response to one of our calls.
        if (v.find("method") == v.end() && (v.contains("result") || v.contains("error"))) {
            if (batch) --batch->outstanding; // responses in a batch are not answered
            if (has_id && id_it->is_number_unsigned()) {
                outcome o;
                if (v.contains("result")) {
                    o.ok = true;
                    o.result = std::move(v["result"]);
                } else {
                    const auto& e = v["error"];
                    o.error.code = e.is_object() && e.contains("code") && e["code"].is_number_integer()
                                       ? e["code"].template get<int>()
                                       : code::internal_error;
                    o.error.message = e.is_object() && e.contains("message") && e["message"].is_string()
                                          ? e["message"].template get<std::string>()
                                          : std::string("malformed error");
                    if (e.is_object() && e.contains("data")) o.error.data = e["data"];
                }
                finish(id_it->template get<std::uint64_t>(), o);
            }
            if (batch && batch->outstanding == 0 && !batch->responses.empty()) send(value(std::move(batch->responses)));
            return;
        }
        const value id = has_id && valid_id(*id_it) ? *id_it : value(nullptr);
        const auto method_it = v.find("method");
        const auto version_it = v.find("jsonrpc");
        const auto params_it = v.find("params");
        if (version_it == v.end() || *version_it != "2.0" || method_it == v.end() || !method_it->is_string() ||
            (has_id && !valid_id(*id_it)) ||
            (params_it != v.end() && !params_it->is_array() && !params_it->is_object()))
            return answer(batch, error_object(id, {code::invalid_request, "invalid request", nullptr}));
        const auto& method = method_it->template get_ref<const std::string&>();
        const value params = params_it == v.end() ? value(nullptr) : *params_it;

        // The reply path: nothing for a notification.
        responder reply;
        if (has_id) {
            if (incoming_ >= limits_.max_pending)
                return answer(batch, error_object(id, {code::too_many_pending, "too many pending requests", nullptr}));
            ++incoming_;
            reply = responder([weak = this->weak_from_this(), id, batch](value result, const rpc::error* e) {
                auto self = weak.lock();
                if (!self) return;
                // Asynchronous replies may come from any thread.
                asio::dispatch(self->executor_, [self, id, batch, result = std::move(result),
                                                 e = e ? std::optional<rpc::error>(*e) : std::nullopt]() mutable {
                    --self->incoming_;
                    self->answer(batch, e ? error_object(id, *e) : result_object(id, std::move(result)));
                });
            });
        }
        if (method == "rpc.emit") return dispatch_event(params, std::move(reply), has_id, batch);
        const auto* fn = methods_ ? methods_->find(method) : nullptr;
        if (!fn) {
            if (reply) return reply.fail(code::method_not_found, "method not found: " + method);
            return answer(batch, nullptr);
        }
        if (!has_id) {
            // Notifications run for their effect; any reply is dropped.
            (*fn)(params, responder());
            return answer(batch, nullptr);
        }
        (*fn)(params, std::move(reply));
    }

    void dispatch_event(const value& params, responder reply, bool has_id, const std::shared_ptr<batch_state>& batch) {
        if (!params.is_object() || !params.contains("event") || !params["event"].is_string()) {
            if (reply) return reply.fail(code::invalid_params, "rpc.emit wants {\"event\", \"data\"}");
            return answer(batch, nullptr);
        }
        const auto* handler = methods_ ? methods_->find_event(params["event"].template get<std::string>()) : nullptr;
        const value data = params.contains("data") ? params["data"] : value(nullptr);
        if (!handler) {
            if (reply) return reply.fail(code::method_not_found, "no handler for this event");
            return answer(batch, nullptr);
        }
        auto shared = std::make_shared<responder>(std::move(reply));
        (*handler)(data, [shared](value ack_value) { shared->reply(std::move(ack_value)); });
        if (!has_id) answer(batch, nullptr);
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
