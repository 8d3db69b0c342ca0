// The chat's rooms on a pub/sub broker: JSON events in, JSON events out.
//
// Client to server (one JSON object per text message):
//   {"type":"join","room":R,"last_seq":N}  join R; N (optional) is the last
//                                          sequence number seen there, to resume
//   {"type":"leave","room":R}
//   {"type":"create","room":R}             create R ([a-z0-9-]{1,32}) and join it
//   {"type":"message","room":R,"text":T}
//   {"type":"typing","room":R}
// Server to client:
//   {"type":"welcome","name":U,"epoch":E}  E changes when the server restarts
//   {"type":"rooms","rooms":[{"name":R,"count":N,"users":[U...]}...]}
//   {"type":"joined","room":R,"resync":B,"replayed":N}  resync: drop what you
//                                          have of R, its last messages follow
//   {"type":"message","room":R,"seq":N,"from":U,"text":T,"time":MS}
//   {"type":"notice","room":R,"seq":N,"event":"join"|"leave","user":U,"time":MS}
//   {"type":"typing","room":R,"from":U}
//   {"type":"error","error":TEXT}
//
// Everything runs on the io_context's one thread.
//
// With a Redis backplane (enable_backplane), several chat servers share their
// rooms: messages and join/leave notices cross processes with sequence numbers
// counted in Redis (so a page can resume on another server), the rooms' last
// messages are kept in Redis (so a restarted server still has them), typing
// indicators cross servers, and the room list shows member counts across all
// of them.
#pragma once

#include <duplex/pubsub.hpp>
#if defined(DUPLEX_HAS_REDIS)
#include <duplex/pubsub/redis_backplane.hpp>
#endif
#include <asio/steady_timer.hpp>

#include <asio/post.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace example::chat {

/// What each connection carries (Config::user_data).
struct session {
    std::string name;                                    ///< from the verified token
    duplex::pubsub::token_bucket publishes{2, 10};       ///< messages and room creations
    std::chrono::steady_clock::time_point last_typing{}; ///< typing events are thinned out
};

struct chat_config : duplex::config::server {
    using user_data = session;
    static constexpr std::size_t max_message_size = 16 * 1024;
    static constexpr std::size_t max_frame_size = 16 * 1024;
};

using chat_server = duplex::basic_server<chat_config>;
using connection = chat_server::connection_type;
using connection_ptr = std::shared_ptr<connection>;
using broker = duplex::pubsub::basic_broker<connection>;

/// Room names: 1-32 of [a-z0-9-].
inline bool is_valid_room_name(std::string_view name) {
    if (name.empty() || name.size() > 32) return false;
    return std::all_of(name.begin(), name.end(),
                       [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'; });
}

class chat_service {
public:
    static constexpr std::size_t history_length = 50;
    static constexpr std::size_t max_rooms = 100;
    static constexpr std::size_t max_text_bytes = 4000;

    chat_service(asio::io_context& io, std::string epoch) : io_(io), epoch_(std::move(epoch)) {
        for (const char* room : {"general", "tech", "random"})
            add_room(room);
        rooms_.on_join = [this](const std::string& topic, const connection_ptr&) {
            if (is_room_topic(topic)) schedule_room_list();
        };
        rooms_.on_leave = [this](const std::string& topic, const connection_ptr& c) {
            if (!is_room_topic(topic)) return;
            publish_notice(topic, "leave", c->data().name);
            schedule_room_list();
        };
    }

    void on_open(const connection_ptr& c) {
        rooms_.subscribe(c, lobby_topic);
        send(c, {{"type", "welcome"}, {"name", c->data().name}, {"epoch", epoch_}});
        send(c, room_list());
    }

    void on_close(const connection& c) { rooms_.unsubscribe_all(c); }

#if defined(DUPLEX_HAS_REDIS)
    /// Share rooms with the other chat servers using the same Redis.
    void enable_backplane(const duplex::pubsub::redis_options& options) {
        bus_ = std::make_unique<duplex::pubsub::redis_backplane<broker>>(io_, rooms_, options);
        bus_->on_error = [](std::error_code, const std::string& what) {
            std::fprintf(stderr, "chat_server: %s\n", what.c_str());
        };
        bus_->start();
        refresh_counts(); // members on other servers come and go without telling us
    }
#endif
    /// Stop background work so io_context::run() can return.
    void stop() {
#if defined(DUPLEX_HAS_REDIS)
        if (bus_) bus_->stop();
#endif
        refresh_timer_.cancel();
    }

    void on_message(const connection_ptr& c, const duplex::message& m) {
        if (m.kind != duplex::message_kind::text) return error(c, "messages are JSON text");
        const auto event = nlohmann::json::parse(m.data.begin(), m.data.end(), nullptr, false);
        if (!event.is_object() || !event.contains("type") || !event["type"].is_string())
            return error(c, "expected a JSON object with a \"type\"");
        const auto type = event["type"].get<std::string>();
        const auto room =
            event.contains("room") && event["room"].is_string() ? event["room"].get<std::string>() : std::string();
        if (type == "join")
            join(c, room,
                 event.contains("last_seq") && event["last_seq"].is_number_unsigned()
                     ? event["last_seq"].get<std::uint64_t>()
                     : 0);
        else if (type == "leave")
            leave(c, room);
        else if (type == "create")
            create(c, room);
        else if (type == "message")
            post(c, room, event.contains("text") && event["text"].is_string() ? event["text"].get<std::string>() : "");
        else if (type == "typing")
            typing(c, room);
        else
            error(c, "unknown type");
    }

private:
    static constexpr std::string_view lobby_topic = "lobby";

    static std::string topic_of(std::string_view room) {
        return "room/" + std::string(room);
    }
    // Typing events go to their own topic, which keeps no history.
    static std::string typing_topic_of(std::string_view room) {
        return "typing/" + std::string(room);
    }
    static bool is_room_topic(std::string_view topic) {
        return topic.substr(0, 5) == "room/";
    }
    static std::int64_t now_ms() {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
    static std::string dump(const nlohmann::json& j) {
        // Text frames carried valid UTF-8, but never let a bad byte throw here.
        return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    static void send(const connection_ptr& c, const nlohmann::json& j) {
        c->send_text(dump(j));
    }
    static void error(const connection_ptr& c, std::string_view text) {
        send(c, {{"type", "error"}, {"error", text}});
    }

    bool room_exists(std::string_view room) const {
        return std::find(room_names_.begin(), room_names_.end(), room) != room_names_.end();
    }
    bool is_member(const connection& c, const std::string& topic) const {
        const auto subscriptions = rooms_.subscriptions(c);
        return std::find(subscriptions.begin(), subscriptions.end(), topic) != subscriptions.end();
    }
    bool allow_publish(const connection_ptr& c) {
        static const duplex::pubsub::limit_policy policy{
            duplex::pubsub::limit_action::reply_error, R"({"type":"error","error":"rate limit exceeded: slow down"})"};
        return duplex::pubsub::enforce(c->data().publishes.try_take(), c, policy);
    }

    void add_room(const std::string& room) {
        room_names_.push_back(room);
        rooms_.keep_history(topic_of(room), history_length);
    }

    void join(const connection_ptr& c, const std::string& room, std::uint64_t last_seq) {
        if (!room_exists(room)) return error(c, "no such room");
        const auto topic = topic_of(room);
        const bool already = is_member(*c, topic);
        rooms_.subscribe(c, typing_topic_of(room));
        // Subscribes and replays what was missed in one step; when the history
        // does not reach back that far, the page drops what it has and gets the
        // last messages instead.
        auto joined = [this, c, room, topic, already](const duplex::pubsub::replay_result& result) {
            if (!c->is_open()) return; // closed while the history was read from Redis
            if (result.status == duplex::pubsub::replay_status::too_far_behind) {
                send(c, {{"type", "joined"}, {"room", room}, {"resync", true}, {"replayed", 0}});
                rooms_.replay(c, topic, result.last > history_length ? result.last - history_length : 0);
            } else {
                send(c, {{"type", "joined"}, {"room", room}, {"resync", false}, {"replayed", result.sent}});
            }
            if (!already) publish_notice(topic, "join", c->data().name);
        };
#if defined(DUPLEX_HAS_REDIS)
        // The backplane reads the room's history from Redis first when this
        // server has not seen it (it restarted), so resume works across restarts.
        if (bus_) return bus_->resume(c, topic, last_seq, std::move(joined));
#endif
        joined(rooms_.resume(c, topic, last_seq));
    }

    void leave(const connection_ptr& c, const std::string& room) {
        rooms_.unsubscribe(c, typing_topic_of(room));
        rooms_.unsubscribe(c, topic_of(room));
    }

    void create(const connection_ptr& c, const std::string& room) {
        if (!is_valid_room_name(room)) return error(c, "room names are 1-32 of a-z, 0-9 and -");
        if (!room_exists(room)) {
            if (room_names_.size() >= max_rooms) return error(c, "too many rooms");
            if (!allow_publish(c)) return;
            add_room(room);
            schedule_room_list();
        }
        join(c, room, 0);
    }

    void post(const connection_ptr& c, const std::string& room, const std::string& text) {
        const auto topic = topic_of(room);
        if (!is_member(*c, topic)) return error(c, "join the room first");
        if (text.empty() || text.size() > max_text_bytes) return error(c, "messages are 1-4000 bytes");
        if (!allow_publish(c)) return;
        publish_numbered(topic, [room, from = c->data().name, text](std::uint64_t seq) {
            return dump({{"type", "message"},
                         {"room", room},
                         {"seq", seq},
                         {"from", from},
                         {"text", text},
                         {"time", now_ms()}});
        });
    }

    void typing(const connection_ptr& c, const std::string& room) {
        const auto topic = topic_of(room);
        if (!is_member(*c, topic)) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - c->data().last_typing < std::chrono::milliseconds(500)) return;
        c->data().last_typing = now;
        const auto event = dump({{"type", "typing"}, {"room", room}, {"from", c->data().name}});
#if defined(DUPLEX_HAS_REDIS)
        if (bus_) {
            bus_->publish(typing_topic_of(room), duplex::message_kind::text, event, c.get());
            return;
        }
#endif
        rooms_.publish(typing_topic_of(room), duplex::prepared_message::make(duplex::message_kind::text, event),
                       c.get());
    }

    void publish_notice(const std::string& topic, std::string_view event, const std::string& user) {
        publish_numbered(topic, [room = topic.substr(5), event = std::string(event), user](std::uint64_t seq) {
            return dump({{"type", "notice"},
                         {"room", room},
                         {"seq", seq},
                         {"event", event},
                         {"user", user},
                         {"time", now_ms()}});
        });
    }

    // Numbered by Redis across servers with a backplane, by the local broker without.
    template <class Make>
    void publish_numbered(const std::string& topic, Make make) {
#if defined(DUPLEX_HAS_REDIS)
        if (bus_) return bus_->publish_sequenced(topic, duplex::message_kind::text, std::move(make));
#endif
        rooms_.publish_sequenced(topic, duplex::message_kind::text, make);
    }

    // Users are the ones on this server; counts include other servers' (backplane).
    nlohmann::json room_list() const {
        auto list = nlohmann::json::array();
        for (const auto& room : room_names_) {
            auto users = nlohmann::json::array();
            for (const auto& member : rooms_.members(topic_of(room)))
                users.push_back(member->data().name);
            const auto global = global_counts_.find(room);
            const std::size_t count = global != global_counts_.end() && global->second > 0
                                          ? static_cast<std::size_t>(global->second)
                                          : users.size();
            list.push_back({{"name", room}, {"count", std::max(count, users.size())}, {"users", users}});
        }
        return {{"type", "rooms"}, {"rooms", list}};
    }

    // With a backplane: ask Redis for every room's count each second, and send
    // the room list when it changed.
    void refresh_counts() {
#if defined(DUPLEX_HAS_REDIS)
        auto answers = std::make_shared<std::map<std::string, long long>>();
        for (const auto& room : room_names_)
            bus_->global_count(topic_of(room), [this, answers, room, total = room_names_.size()](long long n) {
                (*answers)[room] = n;
                if (answers->size() < total) return;
                asio::post(io_, [this, answers] {
                    if (*answers != global_counts_) {
                        global_counts_ = *answers;
                        schedule_room_list();
                    }
                });
            });
        refresh_timer_.expires_after(std::chrono::seconds(1));
        refresh_timer_.async_wait([this](std::error_code ec) {
            if (!ec) refresh_counts();
        });
#endif
    }

    // Joins and leaves come in bursts (a closing connection leaves all its
    // rooms): send everyone one list after the burst.
    void schedule_room_list() {
        if (room_list_pending_) return;
        room_list_pending_ = true;
        asio::post(io_, [this] {
            room_list_pending_ = false;
            rooms_.publish(lobby_topic, duplex::message_kind::text, dump(room_list()));
        });
    }

    asio::io_context& io_;
    std::string epoch_;
    broker rooms_;
    std::vector<std::string> room_names_; // in creation order
    bool room_list_pending_ = false;
    std::map<std::string, long long> global_counts_; // room -> members on every server (backplane)
    asio::steady_timer refresh_timer_{io_};
#if defined(DUPLEX_HAS_REDIS)
    std::unique_ptr<duplex::pubsub::redis_backplane<broker>> bus_;
#endif
};

} // namespace example::chat
