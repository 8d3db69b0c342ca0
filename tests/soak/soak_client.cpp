// The client side of the soak and load test (run_soak.py), on duplex's own
// client. Three modes, each against soak_server on 127.0.0.1:PORT:
//
//   soak_client hold PORT N
//       Open N connections to /echo (at most 200 handshakes at a time), one
//       round trip on each, print "holding N ok=K failed=F", keep them open
//       until a line (or EOF) arrives on stdin, then send a message on every
//       one at once, close each when its echo arrives, and print
//       "closed ok=K failed=F" (ok: echoed again and closed normally).
//   soak_client churn PORT SECONDS CONCURRENCY
//       CONCURRENCY workers, each in a loop until SECONDS are up: connect,
//       either five echo round trips on /echo or three publishes on /ps/churn
//       (each acknowledged), then close. Prints the counts.
//   soak_client shutdown PORT SUBSCRIBERS PUBLISHERS
//       Every connection subscribes to /ps/shutdown; PUBLISHERS of them publish
//       as fast as acknowledgements come, until the server is stopped (the
//       runner sends it SIGTERM after "publishing"). Checks that every
//       connection the server closed with 1001 received every publish the
//       server acknowledged to another connection.
//
// Exit status 0 only when nothing failed.
#include <duplex/duplex.hpp>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using client_type = duplex::client;
using connection_ptr = client_type::connection_ptr;
using handlers_type = client_type::handlers_type;
using clock_type = std::chrono::steady_clock;

void raise_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

std::string url(unsigned port, const std::string& path) {
    return "ws://127.0.0.1:" + std::to_string(port) + path;
}

// ---- hold --------------------------------------------------------------------

int hold(unsigned port, std::size_t count) {
    asio::io_context io(1);
    client_type client{io};
    std::vector<connection_ptr> open;
    std::size_t started = 0, ok = 0, failed = 0, closed_ok = 0, closed_failed = 0, in_flight = 0, again = 0;
    bool closing = false;
    const auto start = clock_type::now();

    std::function<void()> more;
    const auto finish_one = [&](bool success) {
        --in_flight;
        ++(success ? ok : failed);
        if (ok + failed == count) {
            std::printf("holding %zu ok=%zu failed=%zu seconds=%.1f\n", open.size(), ok, failed,
                        std::chrono::duration<double>(clock_type::now() - start).count());
            std::fflush(stdout);
            std::thread([&io, &closing, &open] {
                std::string line;
                std::getline(std::cin, line);
                asio::post(io, [&closing, &open] {
                    closing = true;
                    for (const auto& c : open)
                        c->send_text("again");
                });
            }).detach();
        }
        more();
    };
    more = [&] {
        while (started < count && in_flight < 200) {
            const auto index = started++;
            ++in_flight;
            auto answered = std::make_shared<bool>(false);
            handlers_type h;
            h.on_open = [index](const connection_ptr& c) { c->send_text("hello " + std::to_string(index)); };
            h.on_message = [&, index, answered](const connection_ptr& c, const duplex::message& m) {
                if (*answered) {
                    if (closing && m.data == "again") ++again;
                    return c->close(duplex::close_code::normal);
                }
                *answered = true;
                const bool match = m.data == "hello " + std::to_string(index);
                if (match) open.push_back(c);
                finish_one(match);
            };
            h.on_close = [&, answered](const connection_ptr&, const duplex::close_info& info) {
                if (!*answered) {
                    *answered = true;
                    return finish_one(false);
                }
                ++(closing && info.code == duplex::close_code::normal ? closed_ok : closed_failed);
                if (closing && closed_ok + closed_failed >= open.size()) io.stop();
            };
            h.on_error = [&, answered](const connection_ptr&, std::error_code ec) {
                if (*answered) return;
                *answered = true;
                std::fprintf(stderr, "soak_client: connect: %s\n", ec.message().c_str());
                finish_one(false);
            };
            client.connect(url(port, "/echo"), std::move(h));
        }
    };
    more();
    io.run();
    std::printf("closed ok=%zu failed=%zu echoed again=%zu\n", closed_ok, closed_failed, again);
    return failed == 0 && closed_failed == 0 && closed_ok == count && again == count ? 0 : 1;
}

// ---- churn -------------------------------------------------------------------

struct churn_counts {
    std::size_t cycles = 0, echoes = 0, publishes = 0, failures = 0;
};

class churn {
public:
    churn(asio::io_context& io, unsigned port, clock_type::time_point end, churn_counts& counts)
        : io_(io), client_(io), port_(port), end_(end), counts_(counts) {}

    void worker(std::size_t id) {
        if (clock_type::now() >= end_) {
            if (--workers_ == 0) io_.stop();
            return;
        }
        const bool pubsub = (id + counts_.cycles) % 2 == 1;
        auto done = std::make_shared<bool>(false);
        auto step = std::make_shared<int>(0);
        const int steps = pubsub ? 3 : 5;
        const auto next = [pubsub](const connection_ptr& c, int n) {
            c->send_text((pubsub ? "pub " : "echo ") + std::to_string(n));
        };
        handlers_type h;
        h.on_open = [next](const connection_ptr& c) { next(c, 0); };
        h.on_message = [this, next, step, steps, pubsub](const connection_ptr& c, const duplex::message& m) {
            if (pubsub && m.data.substr(0, 4) != "ack ") return; // others' publishes
            const auto expected = (pubsub ? "ack " : "echo ") + std::to_string(*step);
            if (m.data != expected) {
                ++counts_.failures;
                std::fprintf(stderr, "soak_client: got '%.*s', expected '%s'\n", static_cast<int>(m.data.size()),
                             m.data.data(), expected.c_str());
                return c->close(duplex::close_code::normal);
            }
            ++(pubsub ? counts_.publishes : counts_.echoes);
            if (++*step == steps) return c->close(duplex::close_code::normal);
            next(c, *step);
        };
        h.on_close = [this, id, done, step, steps](const connection_ptr&, const duplex::close_info& info) {
            if (*done) return;
            *done = true;
            if (info.code != duplex::close_code::normal || *step != steps) {
                ++counts_.failures;
                std::fprintf(stderr, "soak_client: churn connection closed with %u after %d steps\n", info.code, *step);
            }
            ++counts_.cycles;
            worker(id);
        };
        h.on_error = [this, id, done](const connection_ptr& c, std::error_code ec) {
            if (c || *done) return; // an open connection's error ends in on_close
            *done = true;
            ++counts_.failures;
            std::fprintf(stderr, "soak_client: churn connect: %s\n", ec.message().c_str());
            worker(id);
        };
        client_.connect(url(port_, pubsub ? "/ps/churn" : "/echo"), std::move(h));
    }
    void start(std::size_t concurrency) {
        workers_ = concurrency;
        for (std::size_t i = 0; i < concurrency; ++i)
            worker(i);
    }

private:
    asio::io_context& io_;
    client_type client_;
    unsigned port_;
    clock_type::time_point end_;
    churn_counts& counts_;
    std::size_t workers_ = 0;
};

int run_churn(unsigned port, double seconds, std::size_t concurrency) {
    asio::io_context io(1);
    churn_counts counts;
    churn c(io, port, clock_type::now() + std::chrono::milliseconds(static_cast<long>(seconds * 1000)), counts);
    c.start(concurrency);
    io.run();
    std::printf("churn cycles=%zu echoes=%zu publishes=%zu failures=%zu\n", counts.cycles, counts.echoes,
                counts.publishes, counts.failures);
    return counts.failures == 0 && counts.cycles > 0 ? 0 : 1;
}

// ---- shutdown ----------------------------------------------------------------

int shutdown(unsigned port, std::size_t subscribers, std::size_t publishers) {
    asio::io_context io(1);
    client_type client{io};
    struct member {
        std::set<std::string> received; // others' publishes
        std::vector<std::string> acked; // own publishes the server acknowledged
        std::size_t sent = 0;
        bool ready = false, publisher = false, finished = false;
        duplex::close_info close;
    };
    std::vector<member> members(subscribers);
    std::vector<connection_ptr> connections(subscribers);
    std::size_t ready = 0, finished = 0;
    bool publishing = false;

    const auto publish_next = [&](std::size_t i) {
        auto& m = members[i];
        connections[i]->send_text("pub p" + std::to_string(i) + "-" + std::to_string(m.sent++));
    };
    for (std::size_t i = 0; i < subscribers; ++i) {
        members[i].publisher = i < publishers;
        handlers_type h;
        // A member is subscribed once its own "ready" publish is acknowledged
        // (the server subscribes in on_open, before it reads any message).
        h.on_open = [&, i](const connection_ptr& c) {
            connections[i] = c;
            c->send_text("pub ready-" + std::to_string(i));
        };
        h.on_message = [&, i](const connection_ptr&, const duplex::message& msg) {
            auto& m = members[i];
            const std::string text(msg.data);
            if (text.rfind("ack ", 0) == 0) {
                if (text.rfind("ack ready-", 0) == 0) {
                    m.ready = true;
                    if (++ready == subscribers) {
                        publishing = true;
                        std::printf("publishing\n");
                        std::fflush(stdout);
                        for (std::size_t p = 0; p < publishers; ++p)
                            publish_next(p);
                    }
                    return;
                }
                m.acked.push_back(text.substr(4));
                if (m.publisher) publish_next(i);
            } else if (text[0] == 'p') {
                m.received.insert(text);
            }
        };
        h.on_close = [&, i](const connection_ptr&, const duplex::close_info& info) {
            members[i].close = info;
            members[i].finished = true;
            if (++finished == subscribers) io.stop();
        };
        h.on_error = [&, i](const connection_ptr& c, std::error_code ec) {
            if (c) return;
            std::fprintf(stderr, "soak_client: shutdown connect: %s\n", ec.message().c_str());
            members[i].finished = true;
            if (++finished == subscribers) io.stop();
        };
        client.connect(url(port, "/ps/shutdown"), std::move(h));
    }
    io.run();

    std::size_t acked = 0, going_away = 0, complete = 0, failures = 0;
    for (const auto& m : members)
        acked += m.acked.size();
    for (std::size_t i = 0; i < subscribers; ++i) {
        const auto& m = members[i];
        if (m.close.code != duplex::close_code::going_away) {
            // Reported failed to this client (not a clean 1001): nothing to check.
            std::fprintf(stderr, "soak_client: member %zu closed with %u\n", i, m.close.code);
            continue;
        }
        ++going_away;
        std::size_t missing = 0;
        for (std::size_t p = 0; p < publishers; ++p)
            if (p != i)
                for (const auto& id : members[p].acked)
                    missing += m.received.count(id) == 0;
        if (missing == 0)
            ++complete;
        else {
            ++failures;
            std::fprintf(stderr, "soak_client: member %zu closed with 1001 but misses %zu acknowledged publishes\n", i,
                         missing);
        }
    }
    std::printf("shutdown members=%zu acknowledged=%zu closed_1001=%zu complete=%zu failures=%zu\n", subscribers, acked,
                going_away, complete, failures);
    return publishing && failures == 0 && going_away == subscribers && acked > 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    raise_file_limit();
    const std::string mode = argc > 1 ? argv[1] : "";
    const auto port = argc > 2 ? static_cast<unsigned>(std::stoul(argv[2])) : 0u;
    if (mode == "hold" && argc == 4) return hold(port, std::stoull(argv[3]));
    if (mode == "churn" && argc == 5) return run_churn(port, std::stod(argv[3]), std::stoull(argv[4]));
    if (mode == "shutdown" && argc == 5) return shutdown(port, std::stoull(argv[3]), std::stoull(argv[4]));
    std::fprintf(stderr, "usage: soak_client hold PORT N | churn PORT SECONDS CONCURRENCY | "
                         "shutdown PORT SUBSCRIBERS PUBLISHERS\n");
    return 2;
}
