// The pub/sub broker over real loopback connections: rooms, exclusion,
// wildcards, presence, history and resume, slow subscribers, rate limits, and
// publishes from several threads (this suite also runs under TSan in CI).
#include <duplex/duplex.hpp>
#include <duplex/pubsub.hpp>

#include "support/catch.hpp"
#include "support/loopback.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace duplex_test;
using namespace std::chrono_literals;

namespace {

// A text protocol for the tests: "sub T", "unsub T", "pub T payload",
// "resume T N", "echo x" (answers x: lets a test see what came before it).
template <class Server, class Broker>
void serve_commands(Server& server, Broker& broker, const std::string& path = "/ps") {
    auto& ep = server.route(path);
    ep.on_message = [&broker](const auto& c, const duplex::message& m) {
        const std::string text(m.data);
        const auto space = text.find(' ');
        const std::string verb = text.substr(0, space);
        std::string rest = space == std::string::npos ? "" : text.substr(space + 1);
        if (verb == "sub") {
            c->send_text(broker.subscribe(c, rest) ? "subscribed " + rest : "refused " + rest);
        } else if (verb == "unsub") {
            c->send_text(broker.unsubscribe(c, rest) ? "unsubscribed " + rest : "not subscribed " + rest);
        } else if (verb == "pub") {
            const auto second = rest.find(' ');
            broker.publish(rest.substr(0, second), duplex::message_kind::text, rest.substr(second + 1), c.get());
        } else if (verb == "resume") {
            const auto second = rest.find(' ');
            const auto r = broker.resume(c, rest.substr(0, second), std::stoull(rest.substr(second + 1)));
            c->send_text("resumed " + std::to_string(static_cast<int>(r.status)) + " " + std::to_string(r.sent));
        } else if (verb == "echo") {
            c->send_text(rest);
        }
    };
    ep.on_close = [&broker](const auto& c, const duplex::close_info&) { broker.unsubscribe_all(*c); };
}

struct peer {
    raw_client raw;
    explicit peer(std::uint16_t port, const std::string& path = "/ps") : raw(port) {
        REQUIRE(raw.upgrade(path).find(" 101 ") != std::string::npos);
    }
    void send(const std::string& text) { raw.send(client_frame(0x1, text)); }
    std::string next() { return raw.read_frame().second; }
    // Send a command and return its reply (the next frame).
    std::string ask(const std::string& text) {
        send(text);
        return next();
    }
};

} // namespace

TEST_CASE("pubsub: a publish reaches the room's members once, not the sender or other rooms", "[integration][pubsub]") {
    io_thread thread;
    duplex::server server{thread.io};
    duplex::pubsub::broker broker;
    stop_before_destruction stop_first{thread};
    serve_commands(server, broker);
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));

    peer a(server.port()), b(server.port()), c(server.port()), other(server.port());
    for (auto* p : {&a, &b, &c})
        CHECK(p->ask("sub room/general") == "subscribed room/general");
    CHECK(other.ask("sub room/tech") == "subscribed room/tech");
    CHECK(a.ask("sub room/general") == "refused room/general"); // already a member
    CHECK(broker.count("room/general") == 3);

    a.send("pub room/general hello");
    CHECK(b.next() == "hello");
    CHECK(c.next() == "hello");
    // Neither the sender nor the other room got it: their next frame is the echo.
    CHECK(a.ask("echo marker") == "marker");
    CHECK(other.ask("echo marker") == "marker");

    // From the application (any thread), to several rooms: one copy per connection.
    CHECK(other.ask("sub room/general") == "subscribed room/general");
    const auto news = duplex::prepared_message::text("news");
    CHECK(broker.publish(std::vector<std::string_view>{"room/general", "room/tech"}, news) == 4);
    for (auto* p : {&a, &b, &c, &other})
        CHECK(p->next() == "news");
    CHECK(other.ask("echo once") == "once");

    CHECK(b.ask("unsub room/general") == "unsubscribed room/general");
    CHECK(b.ask("unsub room/general") == "not subscribed room/general");
    CHECK(broker.publish("room/general", duplex::message_kind::text, "after") == 3);
    CHECK(b.ask("echo nothing") == "nothing");
    CHECK(broker.publish("room/+", duplex::message_kind::text, "x") == 0); // not a topic name
    CHECK(broker.publish_all(duplex::prepared_message::text("all")) == 3); // b has no subscription left
}

TEST_CASE("pubsub: wildcard subscriptions", "[integration][pubsub]") {
    io_thread thread;
    duplex::server server{thread.io};
    duplex::pubsub::broker broker;
    stop_before_destruction stop_first{thread};
    serve_commands(server, broker);
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));

    peer one_level(server.port()), all_levels(server.port()), both(server.port());
    CHECK(one_level.ask("sub prices/+") == "subscribed prices/+");
    CHECK(all_levels.ask("sub prices/#") == "subscribed prices/#");
    CHECK(both.ask("sub prices/eur") == "subscribed prices/eur");
    CHECK(both.ask("sub prices/+") == "subscribed prices/+");
    CHECK(both.ask("sub prices/#/x") == "refused prices/#/x");

    CHECK(broker.publish("prices/eur", duplex::message_kind::text, "1.08") == 3);
    CHECK(one_level.next() == "1.08");
    CHECK(all_levels.next() == "1.08");
    CHECK(both.next() == "1.08");
    CHECK(both.ask("echo once") == "once"); // matched twice, delivered once

    CHECK(broker.publish("prices/eur/spot", duplex::message_kind::text, "1.09") == 1);
    CHECK(all_levels.next() == "1.09");
    CHECK(one_level.ask("echo none") == "none");
    // Wildcard subscribers are listeners, not room members.
    CHECK(broker.count("prices/eur") == 1);
}

TEST_CASE("pubsub: presence, join and leave events, leaving every room on disconnect", "[integration][pubsub]") {
    io_thread thread;
    duplex::server server{thread.io};
    duplex::pubsub::broker broker;
    std::mutex mutex;
    std::vector<std::string> events;
    stop_before_destruction stop_first{thread}; // after what the handlers use
    broker.on_join = [&](const std::string& topic, const auto& c) {
        std::lock_guard<std::mutex> lock(mutex);
        events.push_back("join " + topic + " " + std::string(c->param("name")));
    };
    broker.on_leave = [&](const std::string& topic, const auto& c) {
        std::lock_guard<std::mutex> lock(mutex);
        events.push_back("leave " + topic + " " + std::string(c->param("name")));
    };
    serve_commands(server, broker, "/ps/{name}");
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));

    peer alice(server.port(), "/ps/alice");
    auto bob = std::make_unique<peer>(server.port(), "/ps/bob");
    CHECK(alice.ask("sub room/a") == "subscribed room/a");
    CHECK(bob->ask("sub room/a") == "subscribed room/a");
    CHECK(bob->ask("sub room/b") == "subscribed room/b");
    CHECK(bob->ask("sub room/+") == "subscribed room/+"); // a pattern: no presence event

    std::set<std::string> names;
    for (const auto& c : broker.members("room/a"))
        names.insert(std::string(c->param("name")));
    CHECK(names == std::set<std::string>{"alice", "bob"});
    CHECK(broker.topics() == std::vector<std::pair<std::string, std::size_t>>{{"room/a", 2}, {"room/b", 1}});

    bob.reset(); // the socket closes: on_close leaves every room
    CHECK(eventually([&] { return broker.count("room/b") == 0; }));
    CHECK(broker.count("room/a") == 1);
    CHECK(broker.topics() == std::vector<std::pair<std::string, std::size_t>>{{"room/a", 1}});
    std::lock_guard<std::mutex> lock(mutex);
    CHECK(events == std::vector<std::string>{"join room/a alice", "join room/a bob", "join room/b bob",
                                             "leave room/a bob", "leave room/b bob"});
}

TEST_CASE("pubsub: history and resume after a reconnect", "[integration][pubsub]") {
    io_thread thread;
    duplex::server server{thread.io};
    duplex::pubsub::broker broker;
    stop_before_destruction stop_first{thread};
    serve_commands(server, broker);
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
    broker.keep_history("feed", 3);

    peer live(server.port());
    CHECK(live.ask("sub feed") == "subscribed feed");
    for (int i = 0; i < 5; ++i) {
        const auto r = broker.publish_sequenced("feed", duplex::message_kind::text,
                                                [](std::uint64_t seq) { return "seq:" + std::to_string(seq); });
        CHECK(r.first == 1);
        CHECK(r.second == static_cast<std::uint64_t>(i + 1));
    }
    for (int i = 1; i <= 5; ++i)
        CHECK(live.next() == "seq:" + std::to_string(i));
    CHECK(broker.last_sequence("feed") == 5);

    // A client that saw up to 2 comes back: it gets 3, 4 and 5 (the history holds 3).
    peer back(server.port());
    back.send("resume feed 2");
    CHECK(back.next() == "seq:3");
    CHECK(back.next() == "seq:4");
    CHECK(back.next() == "seq:5");
    CHECK(back.next() == "resumed 0 3");
    // Subscribed by the resume: it gets what follows.
    broker.publish_sequenced("feed", duplex::message_kind::text,
                             [](std::uint64_t s) { return "seq:" + std::to_string(s); });
    CHECK(back.next() == "seq:6");
    CHECK(live.next() == "seq:6");

    peer behind(server.port()), current(server.port()), future(server.port());
    CHECK(behind.ask("resume feed 2") == "resumed 1 0");  // 3 is gone: too far behind, resync
    CHECK(current.ask("resume feed 6") == "resumed 0 0"); // nothing missed
    CHECK(future.ask("resume feed 99") == "resumed 1 0"); // a number this server never gave (a restart)
    CHECK(broker.count("feed") == 5);
    CHECK(broker.replay(nullptr, "nothing", 0).status == duplex::pubsub::replay_status::no_history);
}

namespace {
struct small_queue_config : duplex::config::server {
    static constexpr std::size_t send_queue_limit = 256 * 1024;
    static constexpr duplex::queue_full_policy on_queue_full = duplex::queue_full_policy::close;
    // No keepalive ping: these peers never read it and a loaded sanitizer run
    // can take over the 60 s default, putting a ping among the counted frames.
    static constexpr std::chrono::milliseconds idle_timeout{0};
};
} // namespace

TEST_CASE("pubsub: a subscriber that stops reading is closed with 1008, the others get everything",
          "[integration][pubsub][backpressure]") {
    io_thread thread;
    duplex::basic_server<small_queue_config> server{thread.io};
    duplex::pubsub::basic_broker<duplex::basic_server<small_queue_config>::connection_type> broker;
    stop_before_destruction stop_first{thread};
    serve_commands(server, broker);
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));

    peer fast(server.port()), stalled(server.port());
    CHECK(fast.ask("sub big") == "subscribed big");
    CHECK(stalled.ask("sub big") == "subscribed big");
    const std::string chunk(32 * 1024, 'x');
    std::atomic<int> received{0};
    std::atomic<bool> reader_done{false};
    std::pair<int, std::string> stopped_at{0, {}}; // what ended the reader early (written before reader_done)
    std::thread reader([&] {
        for (int i = 0; i < 400; ++i) {
            auto f = fast.raw.read_frame();
            if (f.first != 1 || f.second.size() != chunk.size()) { // e.g. a close (8) or a timeout (-1)
                stopped_at = std::move(f);
                break;
            }
            ++received;
        }
        reader_done = true;
    });
    // 400 x 32 KiB = 12.5 MiB: far beyond the socket buffers and the 256 KiB queue.
    // The publisher waits for the fast reader (at most two messages behind),
    // however slow a loaded sanitizer run makes it, so only the stalled one can
    // fill its queue: a fast reader that falls behind shows here, not as a 1008.
    // The server counts a batch as queued until its write completes, which can
    // run after the reader already has it, so the queue holds 8 such messages:
    // with 64 KiB ones a busy CI run once closed the fast reader (56 of 400).
    int unpaced = 0;
    for (int i = 0; i < 400; ++i) {
        broker.publish("big", duplex::message_kind::text, chunk);
        if (!eventually([&] { return received >= i - 1 || reader_done; }, 30s)) ++unpaced;
    }
    reader.join();
    CHECK(unpaced == 0);
    INFO("the fast reader stopped on opcode " << stopped_at.first << " with " << stopped_at.second.size() << " bytes");
    CHECK(received == 400);
    // The stalled one finds its close (1008) after what fit in the buffers.
    CHECK(stalled.raw.read_close_code() == 1008);
    stalled.raw.send(client_frame(0x8, std::string("\x03\xe8", 2))); // answer the close
    CHECK(eventually([&] { return broker.count("big") == 1; }));
}

namespace {
struct dropping_queue_config : small_queue_config {
    static constexpr duplex::queue_full_policy on_queue_full = duplex::queue_full_policy::drop;
    using metrics = duplex::counter_metrics;
};
} // namespace

TEST_CASE("pubsub: with the drop policy a stalled subscriber loses messages, counted, and stays open",
          "[integration][pubsub][backpressure]") {
    io_thread thread;
    duplex::basic_server<dropping_queue_config> server{thread.io};
    duplex::pubsub::basic_broker<duplex::basic_server<dropping_queue_config>::connection_type> broker;
    stop_before_destruction stop_first{thread};
    serve_commands(server, broker);
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));

    peer fast(server.port()), stalled(server.port());
    CHECK(fast.ask("sub big") == "subscribed big");
    CHECK(stalled.ask("sub big") == "subscribed big");
    const std::string chunk(32 * 1024, 'x');
    std::atomic<int> received{0};
    std::atomic<bool> reader_done{false};
    std::thread reader([&] {
        for (int i = 0; i < 400; ++i) {
            const auto f = fast.raw.read_frame();
            if (f.first != 1 || f.second.size() != chunk.size()) break;
            ++received;
        }
        reader_done = true;
    });
    int unpaced = 0; // paced by the fast reader however slow the run (see the close test above)
    for (int i = 0; i < 400; ++i) {
        broker.publish("big", duplex::message_kind::text, chunk);
        if (!eventually([&] { return received >= i - 1 || reader_done; }, 30s)) ++unpaced;
    }
    reader.join();
    CHECK(unpaced == 0);
    CHECK(received == 400);
    // The fast reader can have everything before the server ran the stalled
    // one's last publishes (each posted to its thread): wait for those.
    std::atomic<bool> posted_before_ran{false};
    asio::post(thread.io, [&] { posted_before_ran = true; });
    REQUIRE(eventually([&] { return posted_before_ran.load(); }));
    // 400 x 32 KiB = 12.5 MiB against a 256 KiB queue: most were dropped, each counted.
    const auto drops = server.metrics().send_drops();
    CHECK(drops > 200);
    CHECK(drops < 400);
    CHECK(broker.count("big") == 2); // not closed
    // Once it reads again it gets what was queued, whole, then new messages.
    int whole = 0;
    for (std::uint64_t i = 0; i < 400 - drops; ++i) {
        const auto f = stalled.raw.read_frame();
        if (f.first == 1 && f.second == chunk) ++whole;
    }
    CHECK(whole == static_cast<int>(400 - drops));
    broker.publish("big", duplex::message_kind::text, "after");
    CHECK(stalled.raw.read_frame().second == "after");
    CHECK(fast.raw.read_frame().second == "after");
}

TEST_CASE("pubsub: rate limits with a configurable action", "[integration][pubsub][rate]") {
    io_thread thread;
    duplex::server server{thread.io};
    stop_before_destruction stop_first{thread};
    duplex::pubsub::keyed_rate_limiter per_address(0.001, 3); // 3, then practically none
    for (const auto action : {duplex::pubsub::limit_action::reply_error, duplex::pubsub::limit_action::close}) {
        const std::string path = action == duplex::pubsub::limit_action::close ? "/close" : "/reply";
        duplex::pubsub::limit_policy policy;
        policy.action = action;
        server.route(path).on_message = [&per_address, policy, path](const auto& c, const duplex::message& m) {
            if (!duplex::pubsub::enforce(per_address.allow(c->remote_address() + path), c, policy)) return;
            c->send_text(m.data);
        };
    }
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));

    peer reply(server.port(), "/reply");
    for (int i = 0; i < 3; ++i)
        CHECK(reply.ask("m" + std::to_string(i)) == "m" + std::to_string(i));
    CHECK(reply.ask("m3") == R"({"error":"rate limit exceeded"})");

    peer closing(server.port(), "/close");
    for (int i = 0; i < 3; ++i)
        CHECK(closing.ask("m") == "m");
    closing.send("over");
    CHECK(closing.raw.read_close_code() == 1008);
}

TEST_CASE("pubsub: publishes and subscriptions from several threads", "[integration][pubsub][threads]") {
    io_thread thread;
    duplex::server server{thread.io};
    duplex::pubsub::broker broker;
    stop_before_destruction stop_first{thread};
    serve_commands(server, broker);
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));

    peer a(server.port()), b(server.port()), churn(server.port());
    CHECK(a.ask("sub t") == "subscribed t");
    CHECK(b.ask("sub t/#") == "subscribed t/#");
    auto churn_connection = broker.members("t").front(); // a's, to subscribe elsewhere from a thread
    constexpr int threads = 3, per_thread = 300;
    std::atomic<bool> stop{false};
    std::thread subscriber([&] {
        for (int i = 0; !stop; ++i) {
            broker.subscribe(churn_connection, "other/" + std::to_string(i % 7));
            broker.unsubscribe(churn_connection, "other/" + std::to_string((i + 3) % 7));
            broker.count("t");
        }
    });
    std::vector<std::thread> publishers;
    for (int t = 0; t < threads; ++t)
        publishers.emplace_back([&broker, t] {
            for (int i = 0; i < per_thread; ++i)
                broker.publish("t", duplex::message_kind::text, std::to_string(t) + ":" + std::to_string(i));
        });
    const auto read_all = [](peer& p) {
        std::map<int, int> next; // per publisher thread: messages arrive in its order
        int total = 0;
        for (int i = 0; i < threads * per_thread; ++i) {
            const auto m = p.next();
            const auto colon = m.find(':');
            if (colon == std::string::npos) break;
            const int t = std::stoi(m.substr(0, colon)), n = std::stoi(m.substr(colon + 1));
            if (n != next[t]) break;
            ++next[t];
            ++total;
        }
        return total;
    };
    int got_a = 0, got_b = 0;
    std::thread reader_b([&] { got_b = read_all(b); });
    got_a = read_all(a);
    reader_b.join();
    for (auto& p : publishers)
        p.join();
    stop = true;
    subscriber.join();
    CHECK(got_a == threads * per_thread);
    CHECK(got_b == threads * per_thread);
    CHECK(churn.ask("echo alive") == "alive");
}
