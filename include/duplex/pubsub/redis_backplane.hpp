// duplex: requires redis
/// @file
/// Scale-out through Redis: publishes made through the backplane reach the
/// subscribers of every server process sharing the Redis server, and room
/// presence is counted across processes. Link the CMake target `duplex::redis` (hiredis).
///
/// @code
///   duplex::pubsub::broker rooms;
///   duplex::pubsub::redis_backplane<duplex::pubsub::broker> bus{io, rooms, {"127.0.0.1", 6379}};
///   bus.on_error = [](error_code ec, const std::string& what) { log(what); };
///   bus.start();
///   bus.publish("room/general", duplex::message_kind::text, payload, c.get());
/// @endcode
///
/// Replies are parsed by hiredis's RESP reader over an Asio socket. When Redis
/// is down, local delivery goes on, remote publishes are counted as dropped,
/// on_error reports it, and the backplane reconnects with exponential backoff.
///
/// Topics that keep history (broker.keep_history) keep it in Redis too: each
/// publish_sequenced() message is appended to a capped list, and resume() reads
/// it back when this process has not seen the topic's history yet (it started
/// after the messages were sent, e.g. a restarted server), so clients resume
/// across restarts.
///
/// Keys, each under redis_options::prefix: `bus` (the Pub/Sub channel),
/// `presence:<topic>` (a hash: node id -> local count), `seq:<topic>` (the
/// shared counter), `history:<topic>` (the capped list).
#pragma once

#include <duplex/config/macros.hpp>

#if !DUPLEX_HAS_REDIS
#error                                                                                                                 \
    "duplex/pubsub/redis_backplane.hpp needs hiredis: link the CMake target duplex::redis (or define DUPLEX_HAS_REDIS=1 and link it yourself)"
#endif

#include <duplex/config/asio.hpp>
#include <duplex/connection/message.hpp>
#include <duplex/connection/prepared_message.hpp>
#include <duplex/pubsub/broker.hpp>

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace duplex::pubsub {

/// Where Redis is and how to reconnect to it.
struct redis_options {
    /// The server's IP address; host names are not resolved (a name fails
    /// every connect with asio::error::invalid_argument, reported to on_error).
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379; ///< the server's TCP port
    /// Prefix of every key and channel, so several applications can share a Redis.
    std::string prefix = "duplex:";
    /// The wait before the first reconnect; it doubles after each failure, and
    /// is back to this once a connection is up.
    std::chrono::milliseconds min_backoff{100};
    /// The longest wait between reconnects.
    std::chrono::milliseconds max_backoff{5000};
};

namespace detail {

/// A Redis reply, copied out of hiredis's reply object.
struct redis_reply {
    int type = REDIS_REPLY_NIL;
    long long integer = 0;
    std::string str; ///< string, status or error text
    std::vector<redis_reply> elements;

    bool is_error() const noexcept { return type == REDIS_REPLY_ERROR; }

    static redis_reply from(const redisReply* r) {
        redis_reply out;
        out.type = r->type;
        out.integer = r->integer;
        if (r->str) out.str.assign(r->str, r->len);
        for (std::size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; ++i)
            out.elements.push_back(from(r->element[i]));
        return out;
    }
};

/// One RESP command in wire form (binary-safe arguments).
inline std::string format_command(const std::vector<std::string_view>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    char* target = nullptr;
    const int n = ::redisFormatCommandArgv(&target, static_cast<int>(args.size()), argv.data(), lengths.data());
    std::string out = n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string();
    ::redisFreeCommand(target);
    return out;
}

/// One Redis connection on an Asio executor: commands are pipelined and their
/// callbacks run in order; in subscriber mode, pushed messages go to on_push.
/// Every member runs on the executor.
template <class Executor>
class redis_connection : public std::enable_shared_from_this<redis_connection<Executor>> {
public:
    using reply_handler = std::function<void(const redis_reply&)>;

    explicit redis_connection(Executor ex) : socket_(ex), reader_(::redisReaderCreate()) {}
    ~redis_connection() { ::redisReaderFree(reader_); }

    std::function<void(const redis_reply&)> on_push; ///< subscriber mode: messages
    std::function<void(error_code)> on_lost;         ///< after connect: the connection ended

    void connect(const std::string& host, std::uint16_t port, std::function<void(error_code)> done) {
        error_code ec;
        const auto address = asio::ip::make_address(host, ec);
        if (ec) return done(ec);
        socket_.async_connect({address, port}, [self = this->shared_from_this(), done](error_code e) {
            if (!e && self->connected_to_itself()) {
                // Redis is down and its port is in the ephemeral range: the
                // connection took that port and met itself (TCP simultaneous
                // open), and would read its own commands back as replies.
                error_code ignored;
                self->socket_.close(ignored);
                e = asio::error::connection_refused;
            }
            if (!e) {
                self->socket_.set_option(asio::ip::tcp::no_delay(true), e);
                self->connected_ = true;
                self->read();
            }
            done(e);
        });
    }

    /// Queue a command; `handler` (optional) gets its reply, or an error reply
    /// with the text "connection lost" if the connection ends first.
    void command(const std::vector<std::string_view>& args, reply_handler handler = {}) {
        if (!connected_) {
            if (handler) handler(lost_reply());
            return;
        }
        pending_.push_back(std::move(handler));
        out_ += format_command(args);
        if (!writing_) write();
    }

    /// Close now; queued commands get the "connection lost" reply.
    void close() {
        if (!connected_) return;
        connected_ = false;
        error_code ignored;
        socket_.close(ignored);
        flush_pending();
    }
    bool connected() const noexcept { return connected_; }

private:
    bool connected_to_itself() const {
        error_code a, b;
        const auto local = socket_.local_endpoint(a);
        const auto remote = socket_.remote_endpoint(b);
        return !a && !b && local == remote;
    }

    static redis_reply lost_reply() {
        redis_reply r;
        r.type = REDIS_REPLY_ERROR;
        r.str = "connection lost";
        return r;
    }

    void write() {
        writing_ = true;
        sending_.swap(out_);
        out_.clear();
        asio::async_write(socket_, asio::buffer(sending_),
                          [self = this->shared_from_this()](error_code ec, std::size_t) {
                              self->writing_ = false;
                              if (ec) return self->fail(ec);
                              if (!self->out_.empty()) self->write();
                          });
    }

    void read() {
        socket_.async_read_some(asio::buffer(buffer_), [self = this->shared_from_this()](error_code ec, std::size_t n) {
            if (ec) return self->fail(ec);
            if (::redisReaderFeed(self->reader_, self->buffer_, n) != REDIS_OK)
                return self->fail(error_code(static_cast<int>(std::errc::protocol_error), generic_category()));
            for (;;) {
                void* raw = nullptr;
                if (::redisReaderGetReply(self->reader_, &raw) != REDIS_OK)
                    return self->fail(error_code(static_cast<int>(std::errc::protocol_error), generic_category()));
                if (!raw) break;
                const auto reply = redis_reply::from(static_cast<redisReply*>(raw));
                ::freeReplyObject(raw);
                self->dispatch(reply);
            }
            if (self->connected_) self->read();
        });
    }

    void dispatch(const redis_reply& reply) {
        // In subscriber mode Redis pushes ["message", channel, data] at any time.
        if (reply.type == REDIS_REPLY_ARRAY && reply.elements.size() == 3 && reply.elements[0].str == "message" &&
            on_push) {
            on_push(reply);
            return;
        }
        if (pending_.empty()) return;
        auto handler = std::move(pending_.front());
        pending_.pop_front();
        if (handler) handler(reply);
    }

    void fail(error_code ec) {
        if (!connected_) return;
        connected_ = false;
        error_code ignored;
        socket_.close(ignored);
        flush_pending();
        if (on_lost) on_lost(ec);
    }

    void flush_pending() {
        auto pending = std::move(pending_);
        pending_.clear();
        for (auto& h : pending)
            if (h) h(lost_reply());
    }

    asio::ip::tcp::socket socket_;
    redisReader* reader_;
    char buffer_[16 * 1024];
    std::deque<reply_handler> pending_;
    std::string out_, sending_;
    bool writing_ = false;
    bool connected_ = false;
};

} // namespace detail

/// Connects a broker (basic_broker<...>) to the other processes through Redis.
///
/// It holds two Redis connections, one subscribed to the bus channel and one
/// for commands, and does its work on a strand of the io_context. Messages
/// published through it carry this process's node_id(), so it skips its own
/// when Redis echoes them back.
/// @par Thread safety
/// publish(), publish_sequenced(), resume(), global_count() and the
/// accessors may be called from any thread. start() replaces the broker's
/// on_join and on_leave, so call it once, before the broker is shared.
/// @par Lifetime
/// Queued work and Redis replies refer to the backplane, and the broker keeps
/// calling it through on_join and on_leave, even after stop(): destroy it
/// only after the io_context stopped running and the broker is no longer used.
template <class Broker>
class redis_backplane {
public:
    /// The broker's connection type, for publish()'s `except`.
    using connection_type = typename Broker::connection_ptr::element_type;

    /// Called on the backplane's strand with what went wrong and a description.
    /// The code is Asio's for a failed connect or a lost connection,
    /// std::errc::protocol_error (generic category) for a reply hiredis cannot
    /// parse, and empty when a command failed (Redis refused it, or the
    /// connection ended before its reply; the text says which).
    /// Delivery to local subscribers goes on.
    std::function<void(error_code, const std::string&)> on_error;

    /// Ready to start(); nothing connects yet. `rooms` must outlive the backplane.
    redis_backplane(asio::io_context& io, Broker& rooms, redis_options options = {})
        : strand_(asio::make_strand(io)), timer_(strand_), broker_(rooms), options_(std::move(options)),
          node_(make_node_id()), channel_(options_.prefix + "bus"), backoff_(options_.min_backoff) {}
    redis_backplane(const redis_backplane&) = delete;
    redis_backplane& operator=(const redis_backplane&) = delete;
    /// Calls stop().
    ~redis_backplane() { stop(); }

    /// Connect (and keep reconnecting); presence changes of the broker are
    /// counted in Redis from now on (this sets broker.on_join/on_leave and
    /// calls the handlers that were there before).
    void start() {
        auto join = broker_.on_join, leave = broker_.on_leave;
        broker_.on_join = [this, join](const std::string& topic, const auto& c) {
            presence_change(topic, 1);
            if (join) join(topic, c);
        };
        broker_.on_leave = [this, leave](const std::string& topic, const auto& c) {
            presence_change(topic, -1);
            if (leave) leave(topic, c);
        };
        asio::post(strand_, [this] {
            stopped_ = false;
            connect();
        });
    }

    /// Disconnect and stop reconnecting; waits for nothing. This process's
    /// presence counts are removed from Redis when the connection is up.
    void stop() {
        if (stopped_.exchange(true)) return;
        asio::post(strand_,
                   [cmd = cmd_, sub = sub_, prefix = options_.prefix, node = node_, topics = broker_.topics()]() {
                       if (cmd && cmd->connected()) {
                           for (const auto& t : topics)
                               cmd->command({"HDEL", prefix + "presence:" + t.first, node});
                           cmd->command({"QUIT"}, [weak = std::weak_ptr<link>(cmd)](const auto&) {
                               if (auto c = weak.lock()) c->close();
                           });
                       }
                       if (sub) sub->close();
                   });
        error_code ignored;
        timer_.cancel();
    }

    /// Publish to the local subscribers now, and through Redis to every other
    /// process's. Returns the number of local deliveries. Any thread.
    ///
    /// The message goes to Redis later, from the strand; when Redis is down
    /// it is counted in dropped() and not sent again. `except` applies to this
    /// process's subscribers only.
    std::size_t publish(std::string_view topic, message_kind kind, std::string_view payload,
                        const connection_type* except = nullptr) {
        const auto n = broker_.publish(topic, prepared_message::make(kind, payload), except);
        forward(std::string(topic), kind, std::string(payload), 0);
        return n;
    }

    /// Publish with a sequence number shared by every process: Redis counts
    /// (INCR), `make(sequence)` builds the payload, and every process keeps the
    /// message in its broker's history under that number (broker.publish_at),
    /// so a client can resume on any of them. Without Redis the number comes
    /// from the local broker. `make` runs on the backplane's strand.
    ///
    /// Nothing is published before this returns. Without Redis (down, or INCR
    /// refused) the number comes from the local broker's counter, which other
    /// processes do not share; when Redis is down that counts in dropped().
    template <class Make>
    void publish_sequenced(std::string_view topic, message_kind kind, Make make,
                           const connection_type* except = nullptr) {
        asio::post(strand_, [this, topic = std::string(topic), kind, make = std::move(make), except]() mutable {
            if (!cmd_ || !cmd_->connected()) {
                ++dropped_;
                broker_.publish_sequenced(topic, kind, make, except);
                return;
            }
            cmd_->command({"INCR", options_.prefix + "seq:" + topic},
                          [this, topic, kind, make = std::move(make), except](const detail::redis_reply& r) mutable {
                              if (r.type != REDIS_REPLY_INTEGER || r.integer <= 0) {
                                  report({}, "INCR failed: " + r.str);
                                  broker_.publish_sequenced(topic, kind, make, except);
                                  return;
                              }
                              const auto sequence = static_cast<std::uint64_t>(r.integer);
                              std::string payload = make(sequence);
                              broker_.publish_at(topic, sequence, prepared_message::make(kind, payload), except);
                              persist(topic, kind, payload, sequence);
                              forward(topic, kind, std::move(payload), sequence);
                          });
        });
    }

    /// Subscribe `c` to `topic` and replay what it missed after `after`, like
    /// broker.resume(), with the topic's history read back from Redis first
    /// when this process has not read it since it (re)connected: a client can
    /// resume on a server that restarted, or on one that joined later. `done`
    /// gets the outcome on the backplane's strand; nothing happens when `c`
    /// closed meanwhile (done gets no_history).
    /// @param c must not be null; it needs `is_open()`.
    /// @param done called as `done(replay_result)`. A history Redis could not
    /// return is reported to on_error, and the local history is used.
    template <class Done>
    void resume(const typename Broker::connection_ptr& c, std::string_view topic, std::uint64_t after, Done done) {
        asio::post(strand_, [this, c, topic = std::string(topic), after, done = std::move(done)]() mutable {
            if (!c->is_open()) return done(replay_result{});
            const auto limit = broker_.history_limit(topic);
            if (limit == 0 || loaded_.count(topic) || !cmd_ || !cmd_->connected())
                return done(broker_.resume(c, topic, after));
            const auto index = "-" + std::to_string(limit);
            cmd_->command({"LRANGE", history_key(topic), index, "-1"},
                          [this, c, topic, after, done = std::move(done)](const detail::redis_reply& r) mutable {
                              if (r.is_error())
                                  report({}, "LRANGE failed: " + r.str);
                              else
                                  restore(topic, r);
                              if (!c->is_open()) return done(replay_result{});
                              done(broker_.resume(c, topic, after));
                          });
        });
    }

    /// Members of `topic` across every process (from Redis); -1 when Redis is
    /// unreachable or refuses. `done` runs on the backplane's strand.
    ///
    /// The sum of the counts each process stored; a process that ended without
    /// stop() leaves its count behind.
    void global_count(std::string_view topic, std::function<void(long long)> done) {
        asio::post(strand_, [this, key = options_.prefix + "presence:" + std::string(topic), done = std::move(done)] {
            if (!cmd_ || !cmd_->connected()) return done(-1);
            cmd_->command({"HVALS", key}, [done](const detail::redis_reply& r) {
                if (r.is_error()) return done(-1);
                long long sum = 0;
                for (const auto& v : r.elements)
                    sum += std::atoll(v.str.c_str());
                done(sum);
            });
        });
    }

    /// True once both Redis connections are up and the bus channel is
    /// subscribed; false again when either is lost.
    bool connected() const noexcept { return connected_.load(); }
    /// Publishes that could not be forwarded to Redis (it was down or refused them).
    std::uint64_t dropped() const noexcept { return dropped_.load(); }
    /// Messages received from other processes and delivered locally.
    std::uint64_t received() const noexcept { return received_.load(); }
    /// This process's random id (16 hex digits): its field in the presence
    /// hashes, and the sender of its messages on the bus.
    const std::string& node_id() const noexcept { return node_; }

private:
    using strand_type = asio::strand<asio::io_context::executor_type>;
    using link = detail::redis_connection<strand_type>;

    static std::string make_node_id() {
        std::random_device rd;
        const std::uint64_t v = (std::uint64_t{rd()} << 32) ^ rd();
        static const char* hex = "0123456789abcdef";
        std::string id(16, '0');
        for (int i = 0; i < 16; ++i)
            id[static_cast<std::size_t>(i)] = hex[(v >> (4 * i)) & 0xF];
        return id;
    }

    std::string history_key(std::string_view topic) const { return options_.prefix + "history:" + std::string(topic); }

    // History entries: sequence number, '\n', kind ('t' or 'b'), payload.
    void persist(const std::string& topic, message_kind kind, const std::string& payload, std::uint64_t sequence) {
        const auto limit = broker_.history_limit(topic);
        if (limit == 0) return;
        std::string entry = std::to_string(sequence);
        entry += '\n';
        entry += kind == message_kind::text ? 't' : 'b';
        entry += payload;
        const auto key = history_key(topic);
        cmd_->command({"RPUSH", key, entry});
        cmd_->command({"LTRIM", key, "-" + std::to_string(limit), "-1"});
    }

    void restore(const std::string& topic, const detail::redis_reply& list) {
        for (const auto& e : list.elements) {
            const auto newline = e.str.find('\n');
            if (newline == std::string::npos || newline + 1 >= e.str.size()) continue;
            const auto sequence = std::strtoull(e.str.c_str(), nullptr, 10);
            if (sequence == 0) continue;
            const auto kind = e.str[newline + 1] == 't' ? message_kind::text : message_kind::binary;
            broker_.restore(topic, sequence, prepared_message::make(kind, std::string_view(e.str).substr(newline + 2)));
        }
        loaded_.insert(topic);
    }

    void report(error_code ec, const std::string& what) {
        if (on_error) on_error(ec, what);
    }

    // On the strand from here on.
    void connect() {
        if (stopped_) return;
        auto sub = std::make_shared<link>(strand_);
        auto cmd = std::make_shared<link>(strand_);
        sub_ = sub;
        cmd_ = cmd;
        auto remaining = std::make_shared<int>(2);
        auto failed = std::make_shared<bool>(false);
        const auto done = [this, sub, cmd, remaining, failed](error_code ec) {
            if (ec && !*failed) {
                *failed = true;
                report(ec, "cannot connect to Redis at " + options_.host + ":" + std::to_string(options_.port) + ": " +
                               ec.message());
            }
            if (--*remaining > 0) return;
            if (*failed || stopped_) {
                sub->close();
                cmd->close();
                return retry();
            }
            established(sub, cmd);
        };
        sub->connect(options_.host, options_.port, done);
        cmd->connect(options_.host, options_.port, done);
    }

    void established(const std::shared_ptr<link>& sub, const std::shared_ptr<link>& cmd) {
        // Weak: each connection holds this handler, which must not keep them alive.
        const auto lost = [this, weak_sub = std::weak_ptr<link>(sub),
                           weak_cmd = std::weak_ptr<link>(cmd)](error_code ec) {
            const auto s = weak_sub.lock();
            const auto c = weak_cmd.lock();
            if (!s || sub_ != s) return; // already replaced
            connected_ = false;
            s->close();
            if (c) c->close();
            report(ec, "Redis connection lost: " + ec.message());
            retry();
        };
        sub->on_lost = lost;
        cmd->on_lost = lost;
        sub->on_push = [this](const detail::redis_reply& r) { deliver(r.elements[2].str); };
        sub->command({"SUBSCRIBE", channel_}, [this, cmd](const detail::redis_reply& r) {
            if (r.is_error()) return report({}, "SUBSCRIBE failed: " + r.str);
            connected_ = true;
            backoff_ = options_.min_backoff;
            loaded_.clear(); // other processes may have published while we were away
            // Redis may have restarted empty: put this process's presence back.
            for (const auto& [topic, count] : broker_.topics())
                cmd->command({"HSET", options_.prefix + "presence:" + topic, node_, std::to_string(count)});
        });
    }

    void retry() {
        if (stopped_) return;
        timer_.expires_after(backoff_);
        backoff_ = std::min(backoff_ * 2, options_.max_backoff);
        timer_.async_wait([this](error_code ec) {
            if (!ec) connect();
        });
    }

    void deliver(const std::string& envelope) {
        const auto first = envelope.find('\n');
        if (first == std::string::npos || envelope.compare(0, first, node_) == 0) return; // ours: delivered already
        const auto second = envelope.find('\n', first + 1);
        if (second == std::string::npos || second < first + 2) return;
        const auto third = envelope.find('\n', second + 1);
        if (third == std::string::npos) return;
        const auto kind = envelope[first + 1] == 't' ? message_kind::text : message_kind::binary;
        const std::string_view topic(envelope.data() + first + 2, second - first - 2);
        const auto sequence = std::strtoull(envelope.c_str() + second + 1, nullptr, 10);
        auto message = prepared_message::make(kind, std::string_view(envelope).substr(third + 1));
        ++received_;
        if (sequence)
            broker_.publish_at(topic, sequence, message);
        else
            broker_.publish(topic, message);
    }

    // Envelope: node id, kind and topic, sequence number (0: none), payload; lines split by '\n'.
    void forward(std::string topic, message_kind kind, std::string payload, std::uint64_t sequence) {
        std::string envelope = node_;
        envelope += '\n';
        envelope += kind == message_kind::text ? 't' : 'b';
        envelope += topic;
        envelope += '\n';
        envelope += std::to_string(sequence);
        envelope += '\n';
        envelope += payload;
        asio::dispatch(strand_, [this, e = std::move(envelope)] {
            if (!cmd_ || !cmd_->connected()) {
                ++dropped_;
                return;
            }
            cmd_->command({"PUBLISH", channel_, e}, [this](const detail::redis_reply& r) {
                if (r.is_error()) {
                    ++dropped_;
                    report({}, "PUBLISH failed: " + r.str);
                }
            });
        });
    }

    void presence_change(const std::string& topic, int delta) {
        asio::post(strand_, [this, topic, delta] {
            if (!cmd_ || !cmd_->connected()) return; // put back by the resync after reconnecting
            cmd_->command({"HINCRBY", options_.prefix + "presence:" + topic, node_, std::to_string(delta)});
        });
    }

    strand_type strand_;
    asio::steady_timer timer_;
    Broker& broker_;
    redis_options options_;
    std::string node_;
    std::string channel_;
    std::chrono::milliseconds backoff_;
    std::shared_ptr<link> sub_, cmd_;
    std::set<std::string, std::less<>> loaded_; // topics whose Redis history this process has read
    std::atomic<bool> stopped_{true};
    std::atomic<bool> connected_{false};
    std::atomic<std::uint64_t> dropped_{0}, received_{0};
};

} // namespace duplex::pubsub
