/// @file
/// Topics (rooms) for server connections: subscribe, publish once to many,
/// MQTT-style wildcards, presence, and per-topic history for resume.
///
/// @code
///   duplex::pubsub::broker rooms;                        // for duplex::server
///   chat.on_open  = [&](auto& c) { rooms.subscribe(c, "room/general"); };
///   chat.on_close = [&](auto& c, auto&) { rooms.unsubscribe_all(*c); };
///   rooms.publish("room/general", duplex::message_kind::text, R"({"text":"hi"})");
/// @endcode
///
/// Every member function may be called from any thread. A publish frames the
/// message once (prepared_message) and queues that one buffer on every
/// subscriber; each connection's send-queue policy applies on its own, so a slow
/// subscriber fails, drops or is closed without holding up the others.
#pragma once

#include <duplex/connection/message.hpp>
#include <duplex/connection/prepared_message.hpp>
#include <duplex/pubsub/topic_tree.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace duplex::pubsub {

/// How a replay or resume went (basic_broker::replay(), basic_broker::resume()).
enum class replay_status : std::uint8_t {
    ok,             ///< everything after the given sequence number was sent
    too_far_behind, ///< the history no longer reaches back that far (or the number is unknown): resync
    no_history,     ///< the topic keeps no history
};

/// The outcome of basic_broker::replay() and basic_broker::resume().
struct replay_result {
    replay_status status = replay_status::no_history; ///< how it went
    std::size_t sent = 0;                             ///< messages sent by the replay
    std::uint64_t last = 0;                           ///< the topic's last sequence number
};

/// Topics and their subscribers, for connections of type `Connection` (a
/// basic_connection; it needs `send(message_ptr)`).
///
/// Messages go out through each connection's own send queue: a publish
/// returns once every subscriber has been handed the message, without waiting
/// for any write. The broker keeps a shared_ptr to every subscribed
/// connection until it unsubscribes, so call unsubscribe_all() from on_close.
///
/// Only exact topics have presence (on_join, on_leave, count(), members()) and
/// history; a pattern subscription receives messages and nothing else.
/// @par Thread safety
/// Every member function may be called from any thread; one mutex guards the
/// state, and no connection is called while it is held. Set on_join and
/// on_leave before the broker is shared.
template <class Connection>
class basic_broker {
public:
    /// How the broker holds a subscriber.
    using connection_ptr = std::shared_ptr<Connection>;
    /// A message framed once for every subscriber (prepared_message::make()).
    using message_ptr = std::shared_ptr<const prepared_message>;
    /// Presence events for exact topics (rooms): called on the thread that made
    /// the change, after the broker's lock is released, so they may publish.
    using presence_handler = std::function<void(const std::string& topic, const connection_ptr&)>;

    /// A connection joined an exact topic (subscribe(), resume()).
    presence_handler on_join;
    /// A connection left an exact topic (unsubscribe(), unsubscribe_all()).
    presence_handler on_leave;

    /// An empty broker.
    basic_broker() = default;
    basic_broker(const basic_broker&) = delete;
    basic_broker& operator=(const basic_broker&) = delete;

    // ---- subscriptions -------------------------------------------------------

    /// Subscribe `c` to a topic or a pattern ("chat/+", "prices/#"); an exact
    /// topic calls on_join. Returns false for a null `c`, an invalid pattern
    /// or when already subscribed.
    bool subscribe(const connection_ptr& c, std::string_view pattern) {
        if (!c || !is_valid_pattern(pattern)) return false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!add(c, pattern)) return false;
        }
        if (!is_wildcard(pattern) && on_join) on_join(std::string(pattern), c);
        return true;
    }

    /// Undo subscribe() for `pattern`, as written there; an exact topic calls
    /// on_leave. Returns false when `c` was not subscribed to `pattern`.
    bool unsubscribe(const connection_ptr& c, std::string_view pattern) {
        if (!c) return false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto it = by_connection_.find(c.get());
            if (it == by_connection_.end()) return false;
            auto& patterns = it->second.patterns;
            auto p = std::find(patterns.begin(), patterns.end(), pattern);
            if (p == patterns.end()) return false;
            patterns.erase(p);
            if (patterns.empty()) by_connection_.erase(it);
            remove(*c, pattern);
        }
        if (!is_wildcard(pattern) && on_leave) on_leave(std::string(pattern), c);
        return true;
    }

    /// Leave every topic and pattern, and drop the broker's reference to `c`
    /// (call it from on_close). on_leave runs for each exact topic. Returns
    /// how many subscriptions ended.
    std::size_t unsubscribe_all(const Connection& c) {
        connection_ptr strong;
        std::vector<std::string> patterns;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto it = by_connection_.find(&c);
            if (it == by_connection_.end()) return 0;
            strong = std::move(it->second.self);
            patterns = std::move(it->second.patterns);
            by_connection_.erase(it);
            for (const auto& p : patterns)
                remove(c, p);
        }
        if (on_leave)
            for (const auto& p : patterns)
                if (!is_wildcard(p)) on_leave(p, strong);
        return patterns.size();
    }

    /// The topics and patterns `c` is subscribed to, in subscription order.
    std::vector<std::string> subscriptions(const Connection& c) const {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = by_connection_.find(&c);
        return it == by_connection_.end() ? std::vector<std::string>{} : it->second.patterns;
    }

    // ---- publishing ----------------------------------------------------------

    /// Queue `message` on every connection subscribed to `topic` (exactly or
    /// through a pattern), once each, except `except`. A topic that keeps
    /// history numbers the message and keeps it.
    /// @return how many connections it was handed to (0 for an invalid topic
    /// name); each connection's queue policy may still refuse it.
    std::size_t publish(std::string_view topic, const message_ptr& message, const Connection* except = nullptr) {
        return publish_to(&topic, 1, message, except);
    }
    /// Frame `payload` once as a message of `kind` and publish it, as above.
    std::size_t publish(std::string_view topic, message_kind kind, std::string_view payload,
                        const Connection* except = nullptr) {
        return publish(topic, prepared_message::make(kind, payload), except);
    }
    /// One message to several topics: a connection in more than one of them
    /// gets it once. Invalid topic names are skipped.
    std::size_t publish(const std::vector<std::string_view>& topics, const message_ptr& message,
                        const Connection* except = nullptr) {
        return publish_to(topics.data(), topics.size(), message, except);
    }
    /// Queue `message` on every connection with at least one subscription,
    /// except `except`; no history is kept. Returns how many connections it was handed to.
    std::size_t publish_all(const message_ptr& message, const Connection* except = nullptr) {
        std::vector<connection_ptr> all;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            all.reserve(by_connection_.size());
            for (const auto& entry : by_connection_)
                all.push_back(entry.second.self);
        }
        std::size_t n = 0;
        for (const auto& c : all)
            if (c.get() != except) {
                c->send(message);
                ++n;
            }
        return n;
    }

    /// Publish with the topic's next sequence number: `make(sequence)` builds
    /// the payload (so the message can carry its number, which clients hand back
    /// to resume()). `make` runs under the broker's lock and must not call the
    /// broker. The topic keeps its counter from then on, subscribers or not.
    /// @return the connections it was handed to, and the sequence number;
    /// {0, 0} for an invalid topic name.
    template <class Make>
    std::pair<std::size_t, std::uint64_t> publish_sequenced(std::string_view topic, message_kind kind, Make&& make,
                                                            const Connection* except = nullptr) {
        if (!is_valid_topic(topic)) return {0, 0};
        std::vector<list_ptr> lists;
        message_ptr message;
        std::uint64_t sequence = 0;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto& t = exact_[std::string(topic)];
            sequence = t.sequence + 1;
            message = prepared_message::make(kind, make(sequence));
            t.sequence = sequence;
            remember(t, message);
            collect(topic, lists);
        }
        return {deliver(lists, message, except), sequence};
    }

    /// Publish a message numbered elsewhere (e.g. by a backplane's shared
    /// counter): it is kept in the topic's history under `sequence`, in order
    /// (a number already there is not stored twice), and the topic's counter
    /// moves up to it. Returns how many connections it was handed to (0 for
    /// an invalid topic name).
    std::size_t publish_at(std::string_view topic, std::uint64_t sequence, const message_ptr& message,
                           const Connection* except = nullptr) {
        if (!is_valid_topic(topic)) return 0;
        std::vector<list_ptr> lists;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto& t = exact_[std::string(topic)];
            remember_at(t, sequence, message);
            collect(topic, lists);
        }
        return deliver(lists, message, except);
    }

    /// Put a message numbered elsewhere into the topic's history without
    /// delivering it (e.g. history kept in Redis, read back after a restart).
    /// Ignored when the topic keeps no history.
    void restore(std::string_view topic, std::uint64_t sequence, const message_ptr& message) {
        if (!is_valid_topic(topic)) return;
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = exact_.find(topic);
        if (it != exact_.end() && it->second.history_limit) remember_at(it->second, sequence, message);
    }

    // ---- presence --------------------------------------------------------------

    /// Connections subscribed to exactly `topic` (patterns do not count).
    std::size_t count(std::string_view topic) const {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = exact_.find(topic);
        return it == exact_.end() || !it->second.subscribers ? 0 : it->second.subscribers->size();
    }
    /// The connections subscribed to exactly `topic`, in subscription order (a copy).
    std::vector<connection_ptr> members(std::string_view topic) const {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = exact_.find(topic);
        return it == exact_.end() || !it->second.subscribers ? std::vector<connection_ptr>{} : *it->second.subscribers;
    }
    /// Every exact topic with at least one subscriber, with its count, by name.
    std::vector<std::pair<std::string, std::size_t>> topics() const {
        std::vector<std::pair<std::string, std::size_t>> out;
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& [name, t] : exact_)
            if (t.subscribers && !t.subscribers->empty()) out.emplace_back(name, t.subscribers->size());
        return out;
    }

    // ---- history and resume --------------------------------------------------

    /// Keep the last `max_messages` messages published to `topic` (0: none),
    /// each with its sequence number, for replay() and resume(). Lowering it
    /// drops the oldest at once. Setting 0 on a topic without subscribers
    /// forgets the topic, its sequence counter included.
    void keep_history(std::string_view topic, std::size_t max_messages) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto& t = exact_[std::string(topic)];
        t.history_limit = max_messages;
        while (t.history.size() > max_messages)
            t.history.pop_front();
        if (max_messages == 0 && (!t.subscribers || t.subscribers->empty())) exact_.erase(std::string(topic));
    }

    /// How many messages `topic` keeps for replay (0: none).
    std::size_t history_limit(std::string_view topic) const {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = exact_.find(topic);
        return it == exact_.end() ? 0 : it->second.history_limit;
    }

    /// The sequence number of the last message published to `topic` (0: none).
    std::uint64_t last_sequence(std::string_view topic) const {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = exact_.find(topic);
        return it == exact_.end() ? 0 : it->second.sequence;
    }

    /// Send `c` what `topic` received after sequence number `after`, oldest first.
    /// `c` must not be null when there is something to send.
    /// @return ok with the count sent; too_far_behind when `after` is beyond the
    /// last number or older than the history reaches (nothing is sent);
    /// no_history when the topic keeps none.
    replay_result replay(const connection_ptr& c, std::string_view topic, std::uint64_t after) {
        std::vector<message_ptr> missed;
        replay_result r;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            r = missed_since(topic, after, missed);
        }
        for (const auto& m : missed)
            c->send(m);
        return r;
    }

    /// Subscribe `c` to `topic` and replay what it missed after `after`, as one
    /// step, so no message published meanwhile is lost. With too_far_behind the
    /// connection is subscribed but nothing is replayed: the client must resync.
    ///
    /// The replayed messages are queued after the lock is released, so a
    /// message published concurrently from another thread may reach `c` before
    /// them. on_join runs if `c` was not subscribed already.
    /// @return as replay(); no_history, with nothing done, for a null `c` or
    /// an invalid topic name.
    replay_result resume(const connection_ptr& c, std::string_view topic, std::uint64_t after) {
        if (!c || !is_valid_topic(topic)) return {};
        std::vector<message_ptr> missed;
        replay_result r;
        bool joined = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            joined = add(c, topic);
            r = missed_since(topic, after, missed);
        }
        for (const auto& m : missed)
            c->send(m);
        if (joined && on_join) on_join(std::string(topic), c);
        return r;
    }

private:
    using list = std::vector<connection_ptr>;
    using list_ptr = std::shared_ptr<const list>; // copy on write: publishers read a snapshot without the lock

    struct subscriber_list {
        list_ptr subscribers;
    };
    struct topic_state : subscriber_list {
        std::uint64_t sequence = 0;
        std::size_t history_limit = 0;
        std::deque<std::pair<std::uint64_t, message_ptr>> history;
    };
    struct connection_entry {
        connection_ptr self;
        std::vector<std::string> patterns;
    };

    static void insert(list_ptr& l, const connection_ptr& c) {
        auto copy = l ? std::make_shared<list>(*l) : std::make_shared<list>();
        copy->push_back(c);
        l = std::move(copy);
    }
    static void erase(list_ptr& l, const Connection& c) {
        if (!l) return;
        auto copy = std::make_shared<list>();
        copy->reserve(l->size());
        for (const auto& x : *l)
            if (x.get() != &c) copy->push_back(x);
        l = copy->empty() ? nullptr : std::move(copy);
    }

    // Under the lock.
    bool add(const connection_ptr& c, std::string_view pattern) {
        auto& entry = by_connection_[c.get()];
        for (const auto& p : entry.patterns)
            if (p == pattern) return false;
        entry.self = c;
        entry.patterns.emplace_back(pattern);
        if (is_wildcard(pattern))
            insert(wildcards_.at(pattern).subscribers, c);
        else
            insert(exact_[std::string(pattern)].subscribers, c);
        return true;
    }
    void remove(const Connection& c, std::string_view pattern) {
        if (is_wildcard(pattern)) {
            if (auto* w = wildcards_.find(pattern)) {
                erase(w->subscribers, c);
                if (!w->subscribers) wildcards_.erase(pattern);
            }
            return;
        }
        const auto it = exact_.find(pattern);
        if (it == exact_.end()) return;
        erase(it->second.subscribers, c);
        if (!it->second.subscribers && it->second.history_limit == 0) exact_.erase(it);
    }
    void remember(topic_state& t, const message_ptr& m) {
        if (t.history_limit == 0) return;
        t.history.emplace_back(t.sequence, m);
        if (t.history.size() > t.history_limit) t.history.pop_front();
    }
    // In sequence order, once per number; the counter moves up to it.
    static void remember_at(topic_state& t, std::uint64_t sequence, const message_ptr& m) {
        if (sequence > t.sequence) t.sequence = sequence;
        if (t.history_limit == 0) return;
        auto at = t.history.end();
        while (at != t.history.begin() && std::prev(at)->first > sequence)
            --at;
        if (at == t.history.begin() || std::prev(at)->first != sequence) t.history.emplace(at, sequence, m);
        while (t.history.size() > t.history_limit)
            t.history.pop_front();
    }
    void collect(std::string_view topic, std::vector<list_ptr>& lists) const {
        if (const auto it = exact_.find(topic); it != exact_.end() && it->second.subscribers)
            lists.push_back(it->second.subscribers);
        if (!wildcards_.empty())
            wildcards_.match(topic, [&](const subscriber_list& w) {
                if (w.subscribers) lists.push_back(w.subscribers);
            });
    }
    replay_result missed_since(std::string_view topic, std::uint64_t after, std::vector<message_ptr>& missed) const {
        replay_result r;
        const auto it = exact_.find(topic);
        if (it == exact_.end() || it->second.history_limit == 0) return r;
        const auto& t = it->second;
        r.last = t.sequence;
        // Reachable when nothing after `after` has been dropped from the history.
        const std::uint64_t oldest = t.history.empty() ? t.sequence + 1 : t.history.front().first;
        if (after > t.sequence || after + 1 < oldest) {
            r.status = replay_status::too_far_behind;
            return r;
        }
        for (const auto& [seq, m] : t.history)
            if (seq > after) missed.push_back(m);
        r.status = replay_status::ok;
        r.sent = missed.size();
        return r;
    }

    std::size_t publish_to(const std::string_view* topics, std::size_t n, const message_ptr& message,
                           const Connection* except) {
        std::vector<list_ptr> lists;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            for (std::size_t i = 0; i < n; ++i) {
                if (!is_valid_topic(topics[i])) continue;
                const auto it = exact_.find(topics[i]);
                if (it != exact_.end() && it->second.history_limit) {
                    ++it->second.sequence;
                    remember(it->second, message);
                }
                collect(topics[i], lists);
            }
        }
        return deliver(lists, message, except);
    }

    // Outside the lock: each subscriber's send runs inline on its own thread or is posted to it.
    static std::size_t deliver(const std::vector<list_ptr>& lists, const message_ptr& message,
                               const Connection* except) {
        std::size_t n = 0;
        if (lists.size() == 1) { // the common case: one room, nobody twice
            for (const auto& c : *lists.front())
                if (c.get() != except) {
                    c->send(message);
                    ++n;
                }
            return n;
        }
        std::unordered_set<const Connection*> seen;
        for (const auto& l : lists)
            for (const auto& c : *l)
                if (c.get() != except && seen.insert(c.get()).second) {
                    c->send(message);
                    ++n;
                }
        return n;
    }

    mutable std::mutex mutex_;
    std::map<std::string, topic_state, std::less<>> exact_;
    topic_tree<subscriber_list> wildcards_;
    std::unordered_map<const Connection*, connection_entry> by_connection_;
};

} // namespace duplex::pubsub
