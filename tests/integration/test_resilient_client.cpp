// The resilient client over real loopback sockets: a stream resumed exactly
// once across a server restart, the backoff schedule and giving up, the offline
// queue and its policies, deliberate close, and a dead server found by keepalive.
#include <duplex/resilient_client.hpp>

#include <duplex/duplex.hpp>
#include <duplex/pubsub.hpp>

#include "support/catch.hpp"
#include "support/loopback.hpp"

#include "support/asio.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace duplex_test;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// What a resilient client reported, guarded by one mutex; wait() blocks until
// a handler makes the predicate true (or the limit passes).
template <class Client>
struct recorder {
    using connection_ptr = typename Client::connection_ptr;
    struct reconnecting {
        std::size_t attempt;
        std::chrono::milliseconds delay;
        clock_type::time_point at;
    };

    std::mutex mutex;
    std::condition_variable changed;
    std::vector<bool> opens; // the reconnected flag of each open
    std::vector<clock_type::time_point> open_times, close_times;
    std::vector<duplex::close_info> closes;
    std::vector<reconnecting> reconnects;
    std::vector<duplex::error_code> errors;
    std::vector<std::string> messages;
    std::optional<duplex::give_up_info> gave_up;
    std::map<int, duplex::error_code> completions; // by message index
    /// Runs first in on_open (outside the lock): the application's resume step.
    std::function<void(const connection_ptr&, bool)> resume;
    /// Sees each message first (outside the lock).
    std::function<void(const duplex::message&)> inspect;

    typename Client::handlers_type handlers() {
        typename Client::handlers_type h;
        h.on_open = [this](const connection_ptr& c, bool reconnected) {
            if (resume) resume(c, reconnected);
            record([&] {
                opens.push_back(reconnected);
                open_times.push_back(clock_type::now());
            });
        };
        h.on_message = [this](const connection_ptr&, const duplex::message& m) {
            if (inspect) inspect(m);
            record([&] { messages.push_back(m.to_string()); });
        };
        h.on_close = [this](const connection_ptr&, const duplex::close_info& info) {
            record([&] {
                closes.push_back(info);
                close_times.push_back(clock_type::now());
            });
        };
        h.on_reconnecting = [this](std::size_t attempt, std::chrono::milliseconds delay) {
            record([&] { reconnects.push_back({attempt, delay, clock_type::now()}); });
        };
        h.on_give_up = [this](const duplex::give_up_info& info) { record([&] { gave_up = info; }); };
        h.on_error = [this](const connection_ptr&, duplex::error_code ec) { record([&] { errors.push_back(ec); }); };
        return h;
    }
    /// A completion that records its result under `index`.
    std::function<void(duplex::error_code)> completion(int index) {
        return [this, index](duplex::error_code ec) { record([&] { completions[index] = ec; }); };
    }
    template <class Fn>
    void record(Fn fn) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            fn();
        }
        changed.notify_all();
    }
    template <class Pred>
    bool wait(Pred pred, std::chrono::milliseconds limit = 5000ms) {
        std::unique_lock<std::mutex> lock(mutex);
        return changed.wait_for(lock, limit, pred);
    }
    template <class Fn>
    auto read(Fn fn) {
        std::lock_guard<std::mutex> lock(mutex);
        return fn();
    }
};

using client_recorder = recorder<duplex::resilient_client>;

// Servers on one io thread: start() makes a new server object on a port,
// stop() stops the current one (it stays alive, stopped, until the end).
class server_host {
public:
    using setup_fn = std::function<void(duplex::server&)>;
    explicit server_host(setup_fn setup) : setup_(std::move(setup)) {}
    ~server_host() { thread_.stop(); } // before the servers are destroyed
    std::uint16_t start(std::uint16_t port = 0) {
        return thread_.call([this, port] {
            auto s = std::make_unique<duplex::server>(thread_.io);
            setup_(*s);
            if (s->listen(port, "127.0.0.1")) return std::uint16_t{0}; // the caller checks the port
            servers_.push_back(std::move(s));
            return servers_.back()->port();
        });
    }
    void stop() {
        thread_.call([this] {
            servers_.back()->stop();
            return 0;
        });
    }

private:
    setup_fn setup_;
    io_thread thread_;
    std::vector<std::unique_ptr<duplex::server>> servers_;
};

// What a server received, for the echo-like tests.
struct server_log {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> messages;
    int opens = 0, upgrades = 0;

    server_host::setup_fn setup(int reject_status = 0) {
        return [this, reject_status](duplex::server& s) {
            auto& ep = s.route("/t");
            ep.on_upgrade = [this, reject_status](auto& request) {
                add([&] { ++upgrades; });
                if (reject_status != 0) request.reject(reject_status, "go away");
            };
            ep.on_open = [this](const auto&) { add([&] { ++opens; }); };
            ep.on_message = [this](const auto&, const duplex::message& m) {
                add([&] { messages.push_back(m.to_string()); });
            };
        };
    }
    template <class Fn>
    void add(Fn fn) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            fn();
        }
        changed.notify_all();
    }
    template <class Pred>
    bool wait(Pred pred, std::chrono::milliseconds limit = 5000ms) {
        std::unique_lock<std::mutex> lock(mutex);
        return changed.wait_for(lock, limit, pred);
    }
};

std::uint16_t unused_port() {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port(); // closed on return: connecting is refused
}

std::string url(std::uint16_t port, const std::string& path = "/t") {
    return "ws://127.0.0.1:" + std::to_string(port) + path;
}

duplex::resilient_options fast_reconnect() {
    duplex::resilient_options o;
    o.reconnect.initial_delay = 20ms;
    o.reconnect.max_delay = 100ms;
    o.reconnect.randomization = 0.2;
    return o;
}

// Wait until everything posted to the client's executor before this call ran.
template <class Client>
void drain(Client& client) {
    std::promise<void> done;
    asio::post(client.get_executor(), [&done] { done.set_value(); });
    done.get_future().wait();
}

} // namespace

TEST_CASE("resilient client: a stream survives a server restart, resumed exactly once and in order",
          "[integration][resilient]") {
    duplex::pubsub::broker broker; // outlives both servers, as a store shared by server processes would
    broker.keep_history("feed", 1000);
    // The test protocol: "resume feed N" -> the missed messages, then "resumed STATUS COUNT".
    server_host host([&broker](duplex::server& s) {
        auto& ep = s.route("/feed");
        ep.on_message = [&broker](const auto& c, const duplex::message& m) {
            const std::string text(m.data);
            if (text.rfind("resume feed ", 0) != 0) return;
            const auto r = broker.resume(c, "feed", std::stoull(text.substr(12)));
            c->send_text("resumed " + std::to_string(static_cast<int>(r.status)) + " " + std::to_string(r.sent));
        };
        ep.on_close = [&broker](const auto& c, const duplex::close_info&) { broker.unsubscribe_all(*c); };
    });
    const auto port = host.start();
    REQUIRE(port != 0);

    std::atomic<bool> publishing{true};
    std::thread publisher([&] {
        while (publishing) {
            broker.publish_sequenced("feed", duplex::message_kind::text,
                                     [](std::uint64_t seq) { return "seq:" + std::to_string(seq); });
            std::this_thread::sleep_for(1ms); // the stream's pace, not synchronisation
        }
    });

    io_thread client_thread;
    client_recorder rec;
    std::vector<std::uint64_t> sequence; // client thread only until it is joined
    std::uint64_t last_seen = 0;         // the application's resume state
    rec.inspect = [&](const duplex::message& m) {
        if (m.data.substr(0, 4) == "seq:") {
            last_seen = std::stoull(std::string(m.data.substr(4)));
            sequence.push_back(last_seen);
        }
    };
    rec.resume = [&](const auto& c, bool) { c->send_text("resume feed " + std::to_string(last_seen)); };
    duplex::resilient_client client{client_thread.io};
    stop_before_destruction stop_client{client_thread};
    auto options = fast_reconnect();
    options.reconnect.initial_delay = 50ms;
    options.reconnect.max_delay = 400ms;
    client.connect(url(port, "/feed"), rec.handlers(), options);

    const auto seq_count = [&] {
        return std::count_if(rec.messages.begin(), rec.messages.end(),
                             [](const std::string& m) { return m.rfind("seq:", 0) == 0; });
    };
    REQUIRE(rec.wait([&] { return seq_count() >= 50; })); // the stream flows

    host.stop(); // 1001 to the client, which starts reconnecting
    REQUIRE(rec.wait([&] { return rec.closes.size() == 1; }));
    CHECK(rec.read([&] { return rec.closes[0].code; }) == duplex::close_code::going_away);
    // Stay down for two failed attempts while the stream goes on.
    REQUIRE(rec.wait([&] { return rec.reconnects.size() >= 2; }));
    const auto seen_at_close = static_cast<std::uint64_t>(rec.read([&] { return seq_count(); }));
    const auto published_at_restart = broker.last_sequence("feed");
    CHECK(published_at_restart > seen_at_close); // messages are missed meanwhile
    const auto restarted_at = clock_type::now();
    CHECK(host.start(port) == port); // a new server on the same port
    REQUIRE(rec.wait([&] { return rec.opens.size() == 2; }));
    const auto published_at_reopen = broker.last_sequence("feed");
    const auto reopened_at = rec.read([&] { return rec.open_times[1]; });
    CHECK(rec.read([&] { return rec.opens; }) == std::vector<bool>{false, true});
    // Within the schedule: the next attempt after the restart came at most max_delay later.
    CHECK(reopened_at - restarted_at < options.reconnect.max_delay + 500ms);

    // Live messages after the replay, then the end of the stream.
    REQUIRE(rec.wait([&] { return seq_count() >= static_cast<long>(published_at_reopen) + 100; }));
    publishing = false;
    publisher.join();
    const auto last = broker.last_sequence("feed");
    REQUIRE(rec.wait([&] { return seq_count() >= static_cast<long>(last); }));
    client.close();
    REQUIRE(rec.wait([&] { return rec.closes.size() == 2; }));
    client_thread.stop(); // `sequence` is ours now

    std::vector<std::uint64_t> expected(last);
    for (std::uint64_t i = 0; i < last; ++i)
        expected[i] = i + 1;
    CHECK(sequence == expected); // every message once, in order, across the restart
    std::vector<std::string> replies;
    for (const auto& m : rec.messages)
        if (m.rfind("resumed ", 0) == 0) replies.push_back(m);
    REQUIRE(replies.size() == 2);
    CHECK(replies[0].rfind("resumed 0 ", 0) == 0);
    CHECK(replies[1].rfind("resumed 0 ", 0) == 0); // replay_status::ok: within the history
    // The second resume replayed at least what was published while the client was away.
    CHECK(std::stoull(replies[1].substr(10)) >= published_at_restart - seen_at_close);
    CHECK(rec.reconnects.size() >= 2);
}

TEST_CASE("resilient client: backoff delays, jitter bounds and giving up", "[integration][resilient]") {
    const duplex::reconnect_options defaults;
    CHECK(defaults.initial_delay == 1000ms);
    CHECK(defaults.max_delay == 5000ms);
    CHECK(defaults.factor == 2.0);
    CHECK(defaults.randomization == 0.5);
    CHECK(defaults.max_attempts == 0);
    // The schedule itself: 1 s, 2 s, 4 s, then capped at 5 s; jitter spreads each by half, never above the cap.
    CHECK(duplex::reconnect_delay(defaults, 1, 0.0) == 1000ms);
    CHECK(duplex::reconnect_delay(defaults, 2, 0.0) == 2000ms);
    CHECK(duplex::reconnect_delay(defaults, 3, 0.0) == 4000ms);
    CHECK(duplex::reconnect_delay(defaults, 4, 0.0) == 5000ms);
    CHECK(duplex::reconnect_delay(defaults, 1000, 0.0) == 5000ms); // no overflow
    CHECK(duplex::reconnect_delay(defaults, 1, -1.0) == 500ms);
    CHECK(duplex::reconnect_delay(defaults, 1, 1.0) == 1500ms);
    CHECK(duplex::reconnect_delay(defaults, 3, 1.0) == 5000ms);
    CHECK(duplex::reconnect_delay(defaults, 4, -1.0) == 2500ms);

    io_thread client_thread;
    client_recorder rec;
    duplex::resilient_client client{client_thread.io};
    stop_before_destruction stop_client{client_thread};
    duplex::resilient_options options;
    options.reconnect.initial_delay = 20ms;
    options.reconnect.max_delay = 160ms;
    options.reconnect.factor = 2.0;
    options.reconnect.randomization = 0.25;
    options.reconnect.max_attempts = 6;
    client.connect(url(unused_port()), rec.handlers(), options);
    REQUIRE(rec.wait([&] { return rec.gave_up.has_value(); }));

    std::lock_guard<std::mutex> lock(rec.mutex);
    CHECK(rec.opens.empty());
    CHECK(rec.errors.size() == 7); // the first connect and six reconnection attempts
    CHECK(rec.gave_up->error == asio::error::connection_refused);
    CHECK(rec.gave_up->attempts == 6);
    CHECK(rec.gave_up->handshake_status == 0);
    REQUIRE(rec.reconnects.size() == 6);
    const long bases[] = {20, 40, 80, 160, 160, 160};
    bool jittered = false;
    for (std::size_t i = 0; i < 6; ++i) {
        INFO("attempt " << i + 1);
        const auto& r = rec.reconnects[i];
        CHECK(r.attempt == i + 1);
        CHECK(r.delay.count() >= bases[i] * 3 / 4);
        CHECK(r.delay.count() <= std::min(bases[i] * 5 / 4, 160L));
        jittered = jittered || r.delay.count() != bases[i];
        if (i + 1 < 6) CHECK(rec.reconnects[i + 1].at - r.at >= r.delay); // the timer waited the delay
    }
    CHECK(jittered);
}

TEST_CASE("resilient client: a refused handshake (4xx) stops after max_rejections and reports the status",
          "[integration][resilient]") {
    server_log log;
    server_host host(log.setup(403));
    const auto port = host.start();
    REQUIRE(port != 0);
    io_thread client_thread;
    client_recorder rec;
    duplex::resilient_client client{client_thread.io};
    stop_before_destruction stop_client{client_thread};
    auto options = fast_reconnect(); // max_attempts: unlimited; max_rejections: 3 (default)
    client.connect(url(port), rec.handlers(), options);
    REQUIRE(rec.wait([&] { return rec.gave_up.has_value(); }));
    std::lock_guard<std::mutex> lock(rec.mutex);
    CHECK(rec.gave_up->handshake_status == 403);
    CHECK(rec.gave_up->error == duplex::error::handshake_failed);
    CHECK(rec.reconnects.size() == 2);
    CHECK(rec.opens.empty());
    std::lock_guard<std::mutex> server_lock(log.mutex);
    CHECK(log.upgrades == 3);
}

TEST_CASE("resilient client: the offline queue, its policies, and the resume step before it",
          "[integration][resilient]") {
    struct scenario {
        const char* name;
        duplex::offline_queue_policy policy;
        std::size_t max_messages, max_bytes;
        bool flush;
        std::vector<std::string> delivered; // of q1..q5, in order
        std::vector<duplex::error_code> results;
    };
    const duplex::error_code ok{}, aborted = asio::error::operation_aborted,
                                   full = duplex::make_error_code(duplex::error::send_queue_full);
    using policy = duplex::offline_queue_policy;
    const std::vector<scenario> scenarios = {
        {"room for all", policy::fail, 10, 1024, true, {"q1", "q2", "q3", "q4", "q5"}, {ok, ok, ok, ok, ok}},
        {"drop oldest", policy::drop_oldest, 3, 1024, true, {"q3", "q4", "q5"}, {aborted, aborted, ok, ok, ok}},
        {"drop newest", policy::drop_newest, 3, 1024, true, {"q1", "q2", "q3"}, {ok, ok, ok, aborted, aborted}},
        {"fail", policy::fail, 3, 1024, true, {"q1", "q2", "q3"}, {ok, ok, ok, full, full}},
        {"byte limit", policy::drop_oldest, 100, 8, true, {"q2", "q3", "q4", "q5"}, {aborted, ok, ok, ok, ok}},
        {"discard", policy::drop_oldest, 10, 1024, false, {}, {aborted, aborted, aborted, aborted, aborted}},
    };
    for (const auto& s : scenarios) {
        INFO(s.name);
        server_log log;
        server_host host(log.setup());
        const auto port = host.start();
        REQUIRE(port != 0);
        io_thread client_thread;
        client_recorder rec;
        rec.resume = [](const auto& c, bool reconnected) { c->send_text(reconnected ? "resume 1" : "resume 0"); };
        duplex::resilient_client client{client_thread.io};
        stop_before_destruction stop_client{client_thread};
        auto options = fast_reconnect();
        options.offline.when_full = s.policy;
        options.offline.max_messages = s.max_messages;
        options.offline.max_bytes = s.max_bytes;
        options.offline.flush_on_reconnect = s.flush;
        client.connect(url(port), rec.handlers(), options);
        REQUIRE(log.wait([&] { return log.messages.size() == 1; }));

        host.stop();
        REQUIRE(rec.wait([&] { return rec.closes.size() == 1; }));
        for (int i = 0; i < 5; ++i) // from this thread: posted to the client's executor, in order
            client.send_text("q" + std::to_string(i + 1), rec.completion(i));
        drain(client);
        CHECK_FALSE(client.is_open());
        CHECK(client.queued() == std::min<std::size_t>({5, s.max_messages, s.max_bytes / 2}));

        CHECK(host.start(port) == port);
        REQUIRE(rec.wait([&] { return rec.opens.size() == 2; }));
        client.send_text("end"); // sent directly, after the flush
        REQUIRE(log.wait([&] { return !log.messages.empty() && log.messages.back() == "end"; }));
        REQUIRE(rec.wait([&] { return rec.completions.size() == 5; }));

        std::vector<std::string> expected{"resume 0", "resume 1"};
        expected.insert(expected.end(), s.delivered.begin(), s.delivered.end());
        expected.push_back("end");
        {
            std::lock_guard<std::mutex> lock(log.mutex);
            CHECK(log.messages == expected); // resume first, then the queue in order, then later sends
        }
        std::lock_guard<std::mutex> lock(rec.mutex);
        for (int i = 0; i < 5; ++i) {
            INFO("q" << i + 1);
            CHECK(rec.completions[i] == s.results[static_cast<std::size_t>(i)]);
        }
    }
}

TEST_CASE("resilient client: no reconnect after a deliberate close", "[integration][resilient]") {
    server_log log;
    server_host host(log.setup());
    const auto port = host.start();
    REQUIRE(port != 0);
    io_thread client_thread;
    client_recorder rec;
    duplex::resilient_client client{client_thread.io};
    stop_before_destruction stop_client{client_thread};
    const auto options = fast_reconnect(); // 20..100 ms between attempts
    const auto anything_after_close = [&] { return rec.opens.size() > 1 || !rec.reconnects.empty(); };

    SECTION("while open") {
        client.connect(url(port), rec.handlers(), options);
        REQUIRE(rec.wait([&] { return rec.opens.size() == 1; }));
        client.close(duplex::close_code::normal, "bye");
        REQUIRE(rec.wait([&] { return rec.closes.size() == 1; }));
        {
            std::lock_guard<std::mutex> lock(rec.mutex);
            CHECK(rec.closes[0].code == duplex::close_code::normal);
            CHECK(rec.closes[0].clean);
        }
        // Three times the longest delay passes without an attempt.
        CHECK_FALSE(rec.wait(anything_after_close, 300ms));
        client.send_text("late", rec.completion(0));
        REQUIRE(rec.wait([&] { return rec.completions.size() == 1; }));
        CHECK(rec.read([&] { return rec.completions[0]; }) == duplex::error::closed);
        std::lock_guard<std::mutex> lock(log.mutex);
        CHECK(log.opens == 1);
    }
    SECTION("while waiting to reconnect") {
        client.connect(url(port), rec.handlers(), options);
        REQUIRE(rec.wait([&] { return rec.opens.size() == 1; }));
        host.stop();
        REQUIRE(rec.wait([&] { return rec.reconnects.size() == 1; }));
        client.send_text("queued", rec.completion(0));
        client.close();
        drain(client);                   // the close has run
        CHECK(host.start(port) == port); // a server is back, but the client stays away
        CHECK_FALSE(rec.wait([&] { return rec.opens.size() > 1 || rec.reconnects.size() > 1; }, 300ms));
        REQUIRE(rec.wait([&] { return rec.completions.size() == 1; }));
        CHECK(rec.read([&] { return rec.completions[0]; }) == duplex::error::closed);
        std::lock_guard<std::mutex> lock(log.mutex);
        CHECK(log.opens == 1);
    }
}

namespace {

// Short keepalive: a ping after 100 ms without input, the peer gone 200 ms after it.
struct keepalive_config : duplex::config::client {
    static constexpr std::chrono::milliseconds idle_timeout{100};
    static constexpr std::chrono::milliseconds pong_timeout{200};
};

// A server that completes the opening handshake by hand, then never reads or
// answers again, and keeps the socket open: no FIN, no reset.
class dead_server {
public:
    dead_server() : acceptor_(thread_.io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) { accept(); }
    ~dead_server() { thread_.stop(); }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    int accepted() { return accepted_; }

private:
    struct peer {
        explicit peer(asio::io_context& io) : socket(io) {}
        asio::ip::tcp::socket socket;
        asio::streambuf request;
        std::string response;
    };
    void accept() {
        auto p = std::make_shared<peer>(thread_.io);
        acceptor_.async_accept(p->socket, [this, p](duplex::error_code ec) {
            if (ec) return;
            peers_.push_back(p);
            ++accepted_;
            asio::async_read_until(p->socket, p->request, "\r\n\r\n", [p](duplex::error_code ec2, std::size_t n) {
                if (ec2) return;
                const std::string head(asio::buffers_begin(p->request.data()),
                                       asio::buffers_begin(p->request.data()) + static_cast<std::ptrdiff_t>(n));
                const auto at = head.find("Sec-WebSocket-Key: ");
                const auto key = head.substr(at + 19, head.find("\r\n", at) - at - 19);
                p->response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Accept: " +
                              duplex::handshake::compute_accept_key(key) + "\r\n\r\n";
                asio::async_write(p->socket, asio::buffer(p->response), [](duplex::error_code, std::size_t) {});
            });
            accept();
        });
    }
    io_thread thread_;
    asio::ip::tcp::acceptor acceptor_;
    std::vector<std::shared_ptr<peer>> peers_;
    std::atomic<int> accepted_{0};
};

} // namespace

TEST_CASE("resilient client: a server that stops answering is found by keepalive and reconnected",
          "[integration][resilient]") {
    dead_server server;
    io_thread client_thread;
    using client_type = duplex::basic_resilient_client<keepalive_config>;
    recorder<client_type> rec;
    client_type client{client_thread.io};
    stop_before_destruction stop_client{client_thread};
    auto options = fast_reconnect();
    client.connect(url(server.port()), rec.handlers(), options);

    REQUIRE(rec.wait([&] { return rec.opens.size() == 2; }));
    std::lock_guard<std::mutex> lock(rec.mutex);
    CHECK(rec.opens == std::vector<bool>{false, true});
    REQUIRE(rec.closes.size() == 1);
    CHECK(rec.closes[0].code == duplex::close_code::abnormal); // no close frame: the peer is gone
    REQUIRE_FALSE(rec.errors.empty());
    CHECK(rec.errors[0] == duplex::error::timeout);
    // Found after idle_timeout + pong_timeout (300 ms, to within a 100 ms tick), not before, and not much after.
    const auto found_after = rec.close_times[0] - rec.open_times[0];
    CHECK(found_after >= 200ms);
    CHECK(found_after < 1500ms);
    CHECK(rec.reconnects.size() == 1);
    CHECK(server.accepted() == 2);
}
