// A closed-loop WebSocket load generator on plain epoll, favouring no server:
// N connections, one message in flight each; reports messages/s, latency
// percentiles and, with --server-pid, the server's CPU time per message.
//
//   load_generator --port P [--host 127.0.0.1] [--connections 100] [--size 20]
//                  [--duration 5] [--warmup 1] [--text] [--server-pid PID] [--json]
//                  [--idle]   (handshake, then hold the connections: for memory)
//                  [--deflate] (offer permessage-deflate as browsers do and send
//                              JSON-like text; every message is compressed with
//                              context takeover and every echo inflated and checked)
//
//                  [--broadcast] (fan-out, as uWebSockets' broadcast_test: every
//                              connection sends one message per round and the
//                              server delivers each to all N connections; a round
//                              ends when every connection has all N; messages
//                              counts deliveries)
//
// bytes_per_message: frame bytes on the wire per round trip, both directions.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {
using clock_type = std::chrono::steady_clock;

struct options {
    std::string host = "127.0.0.1";
    int port = 0, connections = 100, size = 20;
    double duration = 5, warmup = 1;
    bool text = false, json = false, idle = false, deflate = false, broadcast = false;
    long server_pid = 0;
};

[[noreturn]] void die(const std::string& why) {
    std::fprintf(stderr, "load_generator: %s\n", why.c_str());
    std::exit(1);
}

double server_cpu_seconds(long pid) {
    if (pid <= 0) return 0;
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto close = all.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream rest(all.substr(close + 2));
    std::string field;
    unsigned long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoul(field);
        if (i == 15) stime = std::stoul(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long server_rss_kib(long pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

// permessage-deflate state of one connection (RFC 7692), context takeover both ways.
struct deflate_state {
    z_stream out{}, in{};
    bool ready = false;
    void init(int receive_window_bits) {
        if (deflateInit2(&out, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK ||
            inflateInit2(&in, -receive_window_bits) != Z_OK)
            std::exit(1);
        ready = true;
    }
    ~deflate_state() {
        if (!ready) return;
        deflateEnd(&out);
        inflateEnd(&in);
    }
    std::string compress(const std::string& payload) {
        std::string result(payload.size() + 64, '\0');
        out.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
        out.avail_in = static_cast<uInt>(payload.size());
        out.next_out = reinterpret_cast<Bytef*>(result.data());
        out.avail_out = static_cast<uInt>(result.size());
        deflate(&out, Z_SYNC_FLUSH);
        result.resize(result.size() - out.avail_out - 4); // RFC 7692 7.2.1: drop 00 00 ff ff
        return result;
    }
    std::string inflate_message(std::string payload) {
        payload.append("\x00\x00\xff\xff", 4);
        std::string result;
        char chunk[16384];
        in.next_in = reinterpret_cast<Bytef*>(payload.data());
        in.avail_in = static_cast<uInt>(payload.size());
        do {
            in.next_out = reinterpret_cast<Bytef*>(chunk);
            in.avail_out = sizeof chunk;
            const int rc = inflate(&in, Z_SYNC_FLUSH);
            if (rc != Z_OK && rc != Z_BUF_ERROR) return "<inflate error>";
            result.append(chunk, sizeof chunk - in.avail_out);
        } while (in.avail_out == 0);
        return result;
    }
};

struct connection {
    int fd = -1;
    std::unique_ptr<deflate_state> deflate;
    std::string compressed; // inbox payload of a compressed message in progress
    bool compressed_message = false;
    std::string payload; // of the message in flight (varies with --deflate)
    std::uint64_t sequence = 0;
    std::string frame;          // the masked frame this connection sends
    std::string inbox;          // bytes received, not yet a full frame
    std::size_t sent = 0;       // of frame
    std::uint64_t received = 0; // payload bytes of the echo so far
    bool upgraded = false;
    clock_type::time_point started;
};

// JSON-like text as chat and dashboard messages look: records with varying
// numbers and words from a small vocabulary, different in every message
// (`seed`), so compression finds structure but no whole-message repeats.
std::string json_payload(std::size_t size, std::uint64_t seed) {
    static const char* const words[] = {
        "hello",   "world",  "price",  "update", "room",    "general", "typing", "online", "offline", "order", "filled",
        "cancel",  "market", "limit",  "alice",  "bob",     "carol",   "dave",   "status", "ok",      "error", "ping",
        "latency", "chart",  "server", "client", "message", "channel", "topic",  "join",   "leave",   "new"};
    std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    const auto next = [&x] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    };
    std::string s = "[";
    while (s.size() + 120 < size) {
        s += "{\"id\":" + std::to_string(next() % 1000000) + ",\"user\":\"" + words[12 + next() % 8] +
             "\",\"ts\":" + std::to_string(1700000000000 + next() % 100000000) + ",\"text\":\"";
        for (int w = 0; w < 4; ++w)
            s += std::string(words[next() % 32]) + (w < 3 ? " " : "");
        s += "\"},";
    }
    s += "\"";
    while (s.size() + 2 < size)
        s += static_cast<char>('a' + next() % 26);
    return s + "\"]";
}

std::string payload_for(const options& o, std::uint64_t seed) {
    if (o.deflate) return json_payload(static_cast<std::size_t>(o.size), seed);
    std::string p(static_cast<std::size_t>(o.size), '\0');
    for (std::size_t i = 0; i < p.size(); ++i)
        p[i] = static_cast<char>('a' + (i % 26));
    return p;
}

std::string make_frame(const options& o, int index, const std::string& payload, bool compressed) {
    std::string f;
    f += static_cast<char>(0x80 | (compressed ? 0x40 : 0) | (o.text || o.deflate ? 0x1 : 0x2));
    const auto n = static_cast<std::uint64_t>(payload.size());
    if (n < 126) {
        f += static_cast<char>(0x80 | n);
    } else if (n <= 0xFFFF) {
        f += static_cast<char>(0x80 | 126);
        f += static_cast<char>(n >> 8);
        f += static_cast<char>(n & 0xFF);
    } else {
        f += static_cast<char>(0x80 | 127);
        for (int i = 7; i >= 0; --i)
            f += static_cast<char>((n >> (8 * i)) & 0xFF);
    }
    const char key[4] = {static_cast<char>(index), 0x5a, static_cast<char>(index >> 8), 0x3c};
    f.append(key, 4);
    for (std::uint64_t i = 0; i < n; ++i)
        f += static_cast<char>(payload[i] ^ key[i % 4]);
    return f;
}

// Bytes of a complete server frame at the front of `in`, or 0 if incomplete.
std::size_t complete_frame(const std::string& in, std::uint64_t& payload) {
    if (in.size() < 2) return 0;
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    std::size_t header = 2;
    payload = p[1] & 0x7F;
    if (payload == 126) {
        if (in.size() < 4) return 0;
        payload = (std::uint64_t{p[2]} << 8) | p[3];
        header = 4;
    } else if (payload == 127) {
        if (in.size() < 10) return 0;
        payload = 0;
        for (int i = 2; i < 10; ++i)
            payload = (payload << 8) | p[i];
        header = 10;
    }
    return in.size() >= header + payload ? header + static_cast<std::size_t>(payload) : 0;
}
} // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : (die("missing value for " + a), ""); };
        if (a == "--host")
            o.host = next();
        else if (a == "--port")
            o.port = std::stoi(next());
        else if (a == "--connections")
            o.connections = std::stoi(next());
        else if (a == "--size")
            o.size = std::stoi(next());
        else if (a == "--duration")
            o.duration = std::min(60.0, std::stod(next()));
        else if (a == "--warmup")
            o.warmup = std::min(10.0, std::stod(next()));
        else if (a == "--server-pid")
            o.server_pid = std::stol(next());
        else if (a == "--text")
            o.text = true;
        else if (a == "--json")
            o.json = true;
        else if (a == "--idle")
            o.idle = true;
        else if (a == "--deflate")
            o.deflate = true;
        else if (a == "--broadcast")
            o.broadcast = true;
        else
            die("unknown option " + a);
    }
    if (o.port <= 0) die("--port is required");
    if (o.host.rfind("127.", 0) != 0 && o.host != "::1") die("loopback addresses only");

    const int ep = epoll_create1(0);
    std::vector<connection> conns(static_cast<std::size_t>(o.connections));
    const long rss_before = o.server_pid ? server_rss_kib(o.server_pid) : 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(o.port));
    inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr);
    const std::string request =
        "GET / HTTP/1.1\r\nHost: " + o.host +
        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
        (o.deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "") + "\r\n";
    std::uint64_t wire_bytes = 0;
    for (int i = 0; i < o.connections; ++i) {
        auto& c = conns[static_cast<std::size_t>(i)];
        c.fd = socket(AF_INET, SOCK_STREAM, 0);
        if (c.fd < 0 || connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("connect failed");
        int one = 1;
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (write(c.fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) die("write failed");
        std::string head;
        char buf[4096];
        while (head.find("\r\n\r\n") == std::string::npos) {
            const ssize_t n = read(c.fd, buf, sizeof buf);
            if (n <= 0) die("handshake failed");
            head.append(buf, static_cast<std::size_t>(n));
        }
        if (head.find(" 101 ") == std::string::npos) die("server refused the upgrade");
        c.inbox = head.substr(head.find("\r\n\r\n") + 4);
        if (o.deflate) {
            if (head.find("permessage-deflate") == std::string::npos) die("server did not accept permessage-deflate");
            const auto bits = head.find("server_max_window_bits=");
            c.deflate = std::make_unique<deflate_state>();
            c.deflate->init(bits == std::string::npos ? 15 : std::atoi(head.c_str() + bits + 23));
        }
        c.sequence = static_cast<std::uint64_t>(i) << 32;
        c.payload = payload_for(o, c.sequence);
        if (!o.deflate) c.frame = make_frame(o, i, c.payload, false); // else compressed per message in send_frame
        fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = static_cast<std::uint32_t>(i);
        epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    }
    if (o.idle) {
        usleep(static_cast<useconds_t>(o.warmup * 1e6) + 500000);
        const long rss_after = server_rss_kib(o.server_pid);
        const double per = o.connections ? (rss_after - rss_before) * 1024.0 / o.connections : 0;
        if (o.json)
            std::printf("{\"connections\":%d,\"rss_per_connection\":%.0f}\n", o.connections, per);
        else
            std::printf("%d idle connections: %.0f bytes of server RSS each\n", o.connections, per);
        return 0;
    }

    bool measuring = false;
    const auto send_frame = [&](connection& c) {
        c.started = clock_type::now();
        // With context takeover every message is compressed afresh against the last ones.
        if (c.deflate) {
            c.payload = payload_for(o, ++c.sequence);
            c.frame = make_frame(o, static_cast<int>(&c - conns.data()), c.deflate->compress(c.payload), true);
        }
        if (measuring) wire_bytes += c.frame.size();
        const ssize_t n = write(c.fd, c.frame.data(), c.frame.size());
        c.sent = n > 0 ? static_cast<std::size_t>(n) : 0;
        if (c.sent < c.frame.size()) {
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLOUT;
            ev.data.u32 = static_cast<std::uint32_t>(&c - conns.data());
            epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
        }
    };
    std::uint64_t round_received = 0; // --broadcast: deliveries in the current round
    auto round_started = clock_type::now();
    for (auto& c : conns)
        send_frame(c);

    std::vector<float> latencies;
    latencies.reserve(1 << 22);
    const auto start = clock_type::now();
    const auto measure_from = start + std::chrono::duration<double>(o.warmup);
    const auto end = measure_from + std::chrono::duration<double>(o.duration);
    double cpu_start = 0;
    std::uint64_t messages = 0;
    std::vector<char> buffer(1 << 20);
    epoll_event events[256];
    while (true) {
        const auto now = clock_type::now();
        if (!measuring && now >= measure_from) {
            measuring = true;
            cpu_start = server_cpu_seconds(o.server_pid);
        }
        if (now >= end) break;
        const int n = epoll_wait(ep, events, 256, 100);
        for (int e = 0; e < n; ++e) {
            auto& c = conns[events[e].data.u32];
            if (events[e].events & EPOLLOUT) {
                const ssize_t w = write(c.fd, c.frame.data() + c.sent, c.frame.size() - c.sent);
                if (w > 0) c.sent += static_cast<std::size_t>(w);
                if (c.sent == c.frame.size()) {
                    epoll_event ev{};
                    ev.events = EPOLLIN;
                    ev.data.u32 = events[e].data.u32;
                    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
                }
            }
            if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            for (;;) {
                const ssize_t r = read(c.fd, buffer.data(), buffer.size());
                if (r == 0) die("server closed a connection");
                if (r < 0) break;
                c.inbox.append(buffer.data(), static_cast<std::size_t>(r));
                if (static_cast<std::size_t>(r) < buffer.size()) break;
            }
            std::uint64_t length = 0;
            while (const std::size_t whole = complete_frame(c.inbox, length)) {
                // A server may fragment its echo (Beast does, in 4 KiB frames): count
                // bytes until the frame with FIN.
                const bool fin = (c.inbox[0] & 0x80) != 0;
                const auto op = c.inbox[0] & 0x0F;
                if (op != (o.text || o.deflate ? 0x1 : 0x2) && op != 0x0) die("echo of the wrong type");
                if (op != 0x0) c.compressed_message = (c.inbox[0] & 0x40) != 0;
                if (measuring) wire_bytes += whole;
                if (c.compressed_message) c.compressed.append(c.inbox, whole - length, length);
                c.received += length;
                c.inbox.erase(0, whole);
                if (!fin) continue;
                if (c.compressed_message) {
                    if (!c.deflate) die("compressed echo without permessage-deflate");
                    if (c.deflate->inflate_message(std::move(c.compressed)) != c.payload) die("wrong inflated echo");
                    c.compressed.clear();
                } else if (c.received != static_cast<std::uint64_t>(o.size)) {
                    die("echo of the wrong size");
                }
                c.received = 0;
                if (o.broadcast) {
                    // A round ends when all N connections have all N messages; then all send again.
                    if (++round_received < static_cast<std::uint64_t>(o.connections) * conns.size()) continue;
                    round_received = 0;
                    if (measuring) {
                        messages += static_cast<std::uint64_t>(o.connections) * conns.size();
                        latencies.push_back(
                            std::chrono::duration<float, std::micro>(clock_type::now() - round_started).count());
                    }
                    if (clock_type::now() >= end) break;
                    round_started = clock_type::now();
                    for (auto& each : conns)
                        send_frame(each);
                    continue;
                }
                if (measuring) {
                    ++messages;
                    latencies.push_back(
                        std::chrono::duration<float, std::micro>(clock_type::now() - c.started).count());
                }
                send_frame(c);
            }
        }
    }
    const double seconds = std::chrono::duration<double>(clock_type::now() - measure_from).count();
    const double cpu = server_cpu_seconds(o.server_pid) - cpu_start;
    std::sort(latencies.begin(), latencies.end());
    const auto pct = [&](double p) {
        return latencies.empty() ? 0.0
                                 : latencies[static_cast<std::size_t>(p * static_cast<double>(latencies.size() - 1))];
    };
    const double rate = static_cast<double>(messages) / seconds;
    const double per_cpu = cpu > 0 ? static_cast<double>(messages) / cpu : 0;
    if (o.json) {
        std::printf("{\"messages_per_second\":%.0f,\"server_cpu_seconds\":%.3f,\"messages_per_cpu_second\":%.0f,"
                    "\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"bytes_per_message\":%.0f}\n",
                    rate, cpu, per_cpu, pct(0.5), pct(0.99), pct(0.999),
                    messages ? static_cast<double>(wire_bytes) / static_cast<double>(messages) : 0.0);
    } else {
        std::printf("%.0f msg/s, server CPU %.2f s (%.0f msg per CPU-s), p50 %.1f us, p99 %.1f us, p99.9 %.1f us\n",
                    rate, cpu, per_cpu, pct(0.5), pct(0.99), pct(0.999));
    }
    for (auto& c : conns)
        close(c.fd);
    return 0;
}
