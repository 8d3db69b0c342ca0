// The Redis backplane against a real redis-server started by the test on a
// free loopback port: two servers, each with its own broker and backplane (as
// two processes would have), exchange publishes and count presence together;
// killing Redis keeps local delivery going, and its return restores the rest.
#include <duplex/duplex.hpp>
#include <duplex/pubsub.hpp>

#include "support/catch.hpp"
#include "support/loopback.hpp"

#if defined(DUPLEX_HAS_REDIS)
#include <duplex/pubsub/redis_backplane.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace duplex_test;
using namespace std::chrono_literals;

namespace {

// A free port below the ephemeral range: no socket's own port (a TCP
// self-connect) and no other test's port-0 listener can be Redis's port while
// Redis is down.
std::uint16_t free_port() {
    asio::io_context io;
    for (unsigned candidate = 20000 + static_cast<unsigned>(::getpid()) % 7000; candidate < 32000; candidate += 7) {
        duplex::error_code ec;
        asio::ip::tcp::acceptor a(io);
        a.open(asio::ip::tcp::v4(), ec);
        if (!ec) a.bind({asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(candidate)}, ec);
        if (!ec) return static_cast<std::uint16_t>(candidate);
    }
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

// redis-server as a child process, in memory only, on 127.0.0.1:port.
class redis_process {
public:
    explicit redis_process(std::uint16_t port) : port_(port) { start(); }
    ~redis_process() {
        stop();
        release_port();
    }
    void start() {
        release_port();
        const std::string port = std::to_string(port_);
        pid_ = ::fork();
        if (pid_ == 0) {
            const int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, 1);
            ::dup2(null, 2);
            ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
                     "--appendonly", "no", "--loglevel", "warning", static_cast<char*>(nullptr));
            std::_Exit(127);
        }
        REQUIRE(pid_ > 0);
        // Ready once it answers PING.
        bool ready = false;
        for (int i = 0; i < 200 && !ready; ++i) {
            std::this_thread::sleep_for(20ms);
            asio::io_context io;
            asio::ip::tcp::socket s(io);
            duplex::error_code ec;
            s.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
            if (ec) continue;
            asio::write(s, asio::buffer(std::string("PING\r\n")), ec);
            char reply[16] = {};
            s.read_some(asio::buffer(reply), ec);
            ready = !ec && std::string(reply).rfind("+PONG", 0) == 0;
        }
        REQUIRE(ready);
    }
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL); // like a crash: no goodbye to the clients
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
        hold_port();
    }

private:
    // While Redis is down its port stays bound (not listening): connecting to it
    // is refused, and no other test's server, nor a client's own ephemeral port
    // (a TCP self-connect), can take it and answer the backplane's reconnects.
    void hold_port() {
        held_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int one = 1;
        ::setsockopt(held_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port_);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(held_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    }
    void release_port() {
        if (held_ >= 0) ::close(held_);
        held_ = -1;
    }
    std::uint16_t port_;
    pid_t pid_ = -1;
    int held_ = -1;
};

// One "process": a server, its broker and its backplane, on an io thread.
struct node {
    io_thread thread;
    duplex::server server{thread.io};
    duplex::pubsub::broker broker;
    duplex::pubsub::redis_backplane<duplex::pubsub::broker> bus;
    std::mutex mutex;
    std::vector<std::string> errors;
    stop_before_destruction stop_first{thread};

    explicit node(std::uint16_t redis_port)
        : bus(thread.io, broker, duplex::pubsub::redis_options{"127.0.0.1", redis_port, "duplex-test:", 50ms, 400ms}) {
        bus.on_error = [this](duplex::error_code, const std::string& what) {
            std::lock_guard<std::mutex> lock(mutex);
            errors.push_back(what);
        };
        auto& ep = server.route("/ps");
        ep.on_message = [this](const auto& c, const duplex::message& m) {
            const std::string text(m.data);
            if (text.rfind("sub ", 0) == 0) {
                broker.subscribe(c, text.substr(4));
                c->send_text("subscribed");
            } else if (text.rfind("pub ", 0) == 0) {
                const auto space = text.find(' ', 4);
                bus.publish(text.substr(4, space - 4), duplex::message_kind::text, text.substr(space + 1), c.get());
            } else if (text.rfind("resume ", 0) == 0) { // resume TOPIC AFTER
                const auto space = text.find(' ', 7);
                bus.resume(c, text.substr(7, space - 7), std::stoull(text.substr(space + 1)),
                           [c](duplex::pubsub::replay_result r) {
                               c->send_text("resumed " + std::to_string(static_cast<int>(r.status)) + " " +
                                            std::to_string(r.sent) + " " + std::to_string(r.last));
                           });
            } else {
                c->send_text(text); // echo: a marker
            }
        };
        ep.on_close = [this](const auto& c, const duplex::close_info&) { broker.unsubscribe_all(*c); };
        REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
        bus.start();
    }
    std::size_t error_count() {
        std::lock_guard<std::mutex> lock(mutex);
        return errors.size();
    }
    std::string error_text() {
        std::lock_guard<std::mutex> lock(mutex);
        std::string text;
        for (const auto& e : errors)
            text += e + "; ";
        return text;
    }
    long long global_count(const std::string& topic) {
        std::promise<long long> result;
        auto f = result.get_future();
        bus.global_count(topic, [&result](long long n) { result.set_value(n); });
        return f.wait_for(5s) == std::future_status::ready ? f.get() : -2;
    }
};

struct peer {
    raw_client raw;
    explicit peer(std::uint16_t port) : raw(port) { REQUIRE(raw.upgrade("/ps").find(" 101 ") != std::string::npos); }
    std::string ask(const std::string& text) {
        raw.send(client_frame(0x1, text));
        return raw.read_frame().second;
    }
    void send(const std::string& text) { raw.send(client_frame(0x1, text)); }
    std::string next() { return raw.read_frame().second; }
};

} // namespace

TEST_CASE("redis backplane: publishes and presence cross servers; Redis down and back", "[integration][redis]") {
    const auto port = free_port();
    redis_process redis(port);
    node a(port), b(port);
    REQUIRE(eventually([&] { return a.bus.connected() && b.bus.connected(); }));

    peer a1(a.server.port()), a2(a.server.port()), b1(b.server.port());
    for (auto* p : {&a1, &a2, &b1})
        CHECK(p->ask("sub room/x") == "subscribed");
    CHECK(eventually([&] { return a.global_count("room/x") == 3 && b.global_count("room/x") == 3; }));

    a1.send("pub room/x hello from a");
    CHECK(a2.next() == "hello from a");  // local
    CHECK(b1.next() == "hello from a");  // through Redis
    CHECK(a1.ask("marker") == "marker"); // the sender got nothing back, not even from Redis
    b1.send("pub room/x hello from b");
    CHECK(a1.next() == "hello from b");
    CHECK(a2.next() == "hello from b");
    CHECK(b1.ask("marker") == "marker");
    CHECK(a.bus.received() == 1);
    CHECK(b.bus.received() == 1);

    // Sequence numbers shared through Redis: every server keeps the same numbers
    // in its history, so a client can resume on a server other than the one it left.
    a.broker.keep_history("feed", 10);
    b.broker.keep_history("feed", 10);
    peer feed_b(b.server.port());
    CHECK(feed_b.ask("sub feed") == "subscribed");
    for (int i = 0; i < 3; ++i)
        (i % 2 ? b : a).bus.publish_sequenced("feed", duplex::message_kind::text, [](std::uint64_t seq) {
            return "feed:" + std::to_string(seq);
        });
    // Publishes from two servers may arrive in either order; each number arrives once.
    std::set<std::string> got;
    for (int i = 0; i < 3; ++i)
        got.insert(feed_b.next());
    CHECK(got == std::set<std::string>{"feed:1", "feed:2", "feed:3"});
    // a numbered 1 and 3 itself; 2 comes from b through Redis, maybe after 3.
    CHECK(eventually([&] { return a.bus.received() == 2 && a.broker.last_sequence("feed") == 3; }));
    CHECK(eventually([&] { return b.bus.received() == 3 && b.broker.last_sequence("feed") == 3; }));
    const auto moved = a.broker.members("room/x").front(); // a connection of a's, resuming "feed" after 1
    const auto replayed = a.broker.replay(moved, "feed", 1);
    CHECK(replayed.status == duplex::pubsub::replay_status::ok);
    CHECK(replayed.sent == 2);
    CHECK(a1.next() == "feed:2"); // a1 joined room/x first
    CHECK(a1.next() == "feed:3");

    // Redis dies: both servers keep running and keep delivering locally.
    redis.stop();
    CHECK(eventually([&] { return !a.bus.connected() && !b.bus.connected(); }));
    CHECK(eventually([&] { return a.error_count() > 0 && b.error_count() > 0; }));
    // Counted from here: one CI run counted 3 drops in all where 1 was
    // expected, so the drops before this publish are shown, not assumed none.
    const auto dropped_before = a.bus.dropped();
    a1.send("pub room/x while redis is down");
    CHECK(a2.next() == "while redis is down");
    CHECK(b1.ask("marker") == "marker"); // could not cross
    CHECK(eventually([&] { return a.bus.dropped() == dropped_before + 1; }));
    INFO("drops before the publish " << dropped_before << "; errors: " << a.error_text());
    CHECK(a.bus.dropped() == dropped_before + 1); // shows the count when the wait above failed
    CHECK(a.global_count("room/x") == -1);

    // Redis comes back empty: the backplanes reconnect and put their presence back.
    redis.start();
    REQUIRE(eventually([&] { return a.bus.connected() && b.bus.connected(); }));
    CHECK(eventually([&] { return a.global_count("room/x") == 3; }));
    b1.send("pub room/x redis is back");
    CHECK(a1.next() == "redis is back");
    CHECK(a2.next() == "redis is back");

    // Leaving is counted across servers too.
    a.broker.unsubscribe_all(*a.broker.members("room/x").front());
    CHECK(eventually([&] { return b.global_count("room/x") == 2; }));
}

TEST_CASE("redis backplane: history kept in Redis lets clients resume on a restarted server", "[integration][redis]") {
    const auto port = free_port();
    redis_process redis(port);
    const auto publish = [](node& n, int count) {
        for (int i = 0; i < count; ++i)
            n.bus.publish_sequenced("feed", duplex::message_kind::text,
                                    [](std::uint64_t seq) { return "feed:" + std::to_string(seq); });
    };
    {
        node before(port);
        before.broker.keep_history("feed", 5);
        REQUIRE(eventually([&] { return before.bus.connected(); }));
        publish(before, 7);
        REQUIRE(eventually([&] { return before.broker.last_sequence("feed") == 7; }));
        // Both commands of the last publish (RPUSH, LTRIM) are on the wire before this one's answer.
        CHECK(before.global_count("feed") == 0);
    } // the server process ends; its memory is gone

    node after(port);
    after.broker.keep_history("feed", 5);
    REQUIRE(eventually([&] { return after.bus.connected(); }));
    CHECK(after.broker.last_sequence("feed") == 0); // nothing in memory

    // A client that saw 1-4 resumes: 5, 6 and 7 come from the history in Redis.
    peer resumed(after.server.port());
    resumed.send("resume feed 4");
    CHECK(resumed.next() == "feed:5");
    CHECK(resumed.next() == "feed:6");
    CHECK(resumed.next() == "feed:7");
    CHECK(resumed.next() == "resumed 0 3 7"); // ok, 3 sent, last 7
    CHECK(after.broker.last_sequence("feed") == 7);

    // One that saw only 1 is further back than the 5 kept (3-7): told to resync.
    peer behind(after.server.port());
    behind.send("resume feed 1");
    CHECK(behind.next() == "resumed 1 0 7"); // too_far_behind
    // and can then be sent what there is
    CHECK(after.broker.replay(after.broker.members("feed").back(), "feed", 2).sent == 5);
    for (int seq = 3; seq <= 7; ++seq)
        CHECK(behind.next() == "feed:" + std::to_string(seq));

    // Numbering goes on from Redis's counter; both resumed clients are subscribed.
    publish(after, 1);
    CHECK(resumed.next() == "feed:8");
    CHECK(behind.next() == "feed:8");

    // A topic without history is a plain subscribe.
    peer plain(after.server.port());
    plain.send("resume other 3");
    CHECK(plain.next() == "resumed 2 0 0"); // no_history
    CHECK(after.broker.count("other") == 1);
}

#endif // DUPLEX_HAS_REDIS
