// A WebSocket load generator on plain epoll, favouring no server: N connections,
// one message in flight each (closed loop) or a fixed offered rate (open loop);
// reports messages/s, latency percentiles from a histogram of every round trip
// and, with --server-pid, the server's CPU time per message and its RSS.
//
//   load_generator --port P [--host 127.0.0.1] [--connections 100] [--size 20]
//                  [--duration 5] [--warmup 1] [--text] [--server-pid PID] [--json]
//                  [--tls]     (wss: OpenSSL client, no certificate check; loopback)
//                  [--raw]     (no WebSocket: send `size` bytes, wait for them back;
//                              the physical reference, against peers/raw_echo)
//                  [--rate N]  (open loop: N messages/s in total, round-robin over
//                              the connections, as many in flight as it takes;
//                              latency counts from the scheduled send time, so a
//                              server that stalls is not excused (no coordinated
//                              omission))
//                  [--idle]    (handshake, then hold the connections: for memory)
//                  [--handshakes] (connect, upgrade, close handshake, wait for the
//                              server's FIN, repeat, on N connections at once;
//                              messages counts completed cycles)
//                  [--deflate] (offer permessage-deflate as browsers do and send
//                              JSON-like text, compressed before the run with context
//                              takeover unless the server forbids it; every echo is
//                              inflated and checked)
//                  [--broadcast [--senders K]] (fan-out, as uWebSockets'
//                              broadcast_test: the first K connections (all by
//                              default) send one message per round and the server
//                              delivers each to all N connections; a round ends
//                              when every connection has all K; messages counts
//                              deliveries, latency is per round)
//
// Every run is bounded: --duration at most 60 s, --warmup at most 10 s, loopback
// addresses only. The soft limit on open files is raised to the hard limit, for
// 10,000 connections.
//
// bytes_per_message: frame bytes on the wire per round trip, both directions.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {
using clock_type = std::chrono::steady_clock;

struct options {
    std::string host = "127.0.0.1";
    int port = 0, connections = 100, size = 20, senders = 0;
    double duration = 5, warmup = 1, rate = 0;
    bool text = false, json = false, idle = false, deflate = false, broadcast = false, raw = false, tls = false,
         handshakes = false;
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
    if (pid <= 0) return 0;
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

double own_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Log-linear histogram of nanoseconds: exact below 128 ns, then 64 buckets per
// power of two (at most 1.6% error), so every round trip is recorded in O(1)
// and fixed memory however long the run.
class histogram {
public:
    void record(std::uint64_t ns) {
        ++counts_[index(ns)];
        ++total_;
        sum_ += static_cast<double>(ns);
        max_ = std::max(max_, ns);
    }
    std::uint64_t count() const { return total_; }
    double mean_us() const { return total_ ? sum_ / static_cast<double>(total_) / 1000.0 : 0.0; }
    double max_us() const { return static_cast<double>(max_) / 1000.0; }
    double percentile_us(double p) const {
        if (!total_) return 0;
        const auto rank =
            std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(total_))));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            seen += counts_[i];
            if (seen >= rank) return std::min(static_cast<double>(max_), value(i)) / 1000.0;
        }
        return max_us();
    }

private:
    static constexpr int sub_bits = 6;
    static std::size_t index(std::uint64_t v) {
        if (v < (2u << sub_bits)) return static_cast<std::size_t>(v);
        const int msb = 63 - __builtin_clzll(v);
        const auto mantissa = v >> (msb - sub_bits); // in [64, 128)
        return static_cast<std::size_t>(msb - sub_bits + 1) * (1u << sub_bits) + static_cast<std::size_t>(mantissa) -
               (1u << sub_bits);
    }
    static double value(std::size_t i) { // the middle of bucket i
        if (i < (2u << sub_bits)) return static_cast<double>(i);
        const auto msb = static_cast<int>(i >> sub_bits) + sub_bits - 1;
        const auto mantissa = (i & ((1u << sub_bits) - 1)) + (1u << sub_bits);
        const auto width = std::uint64_t{1} << (msb - sub_bits);
        return static_cast<double>(mantissa * width) + static_cast<double>(width) / 2;
    }
    std::vector<std::uint64_t> counts_ = std::vector<std::uint64_t>((64 - sub_bits + 1) << sub_bits);
    std::uint64_t total_ = 0, max_ = 0;
    double sum_ = 0;
};

// permessage-deflate state (RFC 7692): context takeover both ways unless the
// server's response says client_no_context_takeover. A connection only
// inflates (its messages were compressed before the run, see payload_pool).
struct deflate_state {
    z_stream out{}, in{};
    bool ready = false;
    bool reset_each_message = false;
    void init(int receive_window_bits, bool compressor) {
        if ((compressor && deflateInit2(&out, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) ||
            inflateInit2(&in, -receive_window_bits) != Z_OK)
            std::exit(1);
        ready = true;
    }
    ~deflate_state() {
        if (!ready) return;
        deflateEnd(&out); // Z_STREAM_ERROR, harmless, when it was never made
        inflateEnd(&in);
    }
    std::string compress(const std::string& payload) {
        if (reset_each_message) deflateReset(&out);
        std::string result(payload.size() + 64, '\0');
        out.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
        out.avail_in = static_cast<uInt>(payload.size());
        out.next_out = reinterpret_cast<Bytef*>(result.data());
        out.avail_out = static_cast<uInt>(result.size());
        deflate(&out, Z_SYNC_FLUSH);
        result.resize(result.size() - out.avail_out - 4); // RFC 7692 7.2.1: drop 00 00 ff ff
        return result;
    }
    // Inflates `payload` (its buffer is reused: the tail is appended to it) into
    // `result`, whose capacity stays from message to message.
    bool inflate_message(std::string& payload, std::string& result) {
        payload.append("\x00\x00\xff\xff", 4);
        result.clear();
        char chunk[16384];
        in.next_in = reinterpret_cast<Bytef*>(payload.data());
        in.avail_in = static_cast<uInt>(payload.size());
        do {
            in.next_out = reinterpret_cast<Bytef*>(chunk);
            in.avail_out = sizeof chunk;
            const int rc = inflate(&in, Z_SYNC_FLUSH);
            if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) return false;
            result.append(chunk, sizeof chunk - in.avail_out);
            if (rc == Z_STREAM_END) { // a final block (BFINAL): the sender starts afresh next time
                inflateReset(&in);
                break;
            }
        } while (in.avail_out == 0);
        return true;
    }
};

struct connection {
    int fd = -1;
    SSL* ssl = nullptr;
    std::unique_ptr<deflate_state> deflate;
    const std::string* payload = nullptr; // --deflate: of the message in flight, from the pool
    std::uint64_t sequence = 0;           // --deflate: messages sent, and where in the pool this one starts
    // Output: `queued` copies of the shared frame, or `own` (--deflate, --handshakes).
    std::string own;
    std::uint64_t queued = 0;
    std::size_t offset = 0; // into the first queued frame
    bool want_write = false;
    std::deque<clock_type::time_point> in_flight; // send (or with --rate, scheduled) times
    // Incremental parse of server frames; payloads are counted, not kept (except compressed ones).
    unsigned char head[14] = {};
    std::size_t head_size = 0;
    std::uint64_t payload_left = 0;
    bool in_payload = false, fin = false, compressed_message = false;
    std::uint64_t message_bytes = 0;
    std::string compressed;
    std::uint64_t round_messages = 0; // --broadcast: of the current round
    // --handshakes
    int stage = 0; // 0 connecting, 1 upgrading, 2 closing
    std::string response;
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

std::string make_frame(int opcode, const std::string& payload, bool compressed);

// --deflate: the messages, compressed before the run so the generator's own
// work per message stays small (it shares the machine with the server it
// measures, and a generator that is the bottleneck leaves the server idle part
// of the time, which makes the server's CPU time per message look worse).
// A connection walks the pool in order; at 1 KiB its messages repeat only
// after 1 MiB, far beyond any 32 KiB deflate window.
struct payload_pool {
    std::vector<std::string> payloads;
    // The frame of each payload compressed on its own (level 1, memLevel 8, as a
    // fresh deflate_state would), for servers that ask for client_no_context_takeover.
    std::vector<std::string> fresh_frames;
    // With context takeover: the payloads compressed in order by one stream,
    // the bytes a live compressor would send. Played again from the start the
    // sequence stays valid: the first frame refers to nothing before it.
    std::vector<std::string> takeover_frames;
};

payload_pool make_pool(const options& o, int opcode) {
    payload_pool pool;
    const auto size = static_cast<std::size_t>(o.size);
    const std::size_t count =
        std::clamp<std::size_t>((std::size_t{32} << 20) / std::max<std::size_t>(size, 1), 8, 1024);
    deflate_state fresh, takeover;
    fresh.init(15, true);
    fresh.reset_each_message = true;
    takeover.init(15, true);
    for (std::size_t i = 0; i < count; ++i) {
        pool.payloads.push_back(json_payload(size, i + 1));
        pool.fresh_frames.push_back(make_frame(opcode, fresh.compress(pool.payloads.back()), true));
        pool.takeover_frames.push_back(make_frame(opcode, takeover.compress(pool.payloads.back()), true));
    }
    return pool;
}

std::string make_frame(int opcode, const std::string& payload, bool compressed) {
    std::string f;
    const auto n = static_cast<std::uint64_t>(payload.size());
    f.reserve(payload.size() + 14);
    f += static_cast<char>(0x80 | (compressed ? 0x40 : 0) | opcode);
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
    const char key[4] = {0x37, 0x5a, 0x11, 0x3c};
    f.append(key, 4);
    const std::size_t at = f.size();
    f.append(payload);
    for (std::size_t i = 0; i < payload.size(); ++i)
        f[at + i] = static_cast<char>(f[at + i] ^ key[i % 4]);
    return f;
}

// read/write on a non-blocking socket, through TLS when there is one: > 0 bytes,
// 0 peer closed, -1 would block; dies on errors.
ssize_t io_read(connection& c, char* data, std::size_t size) {
    if (!c.ssl) {
        const ssize_t n = ::read(c.fd, data, size);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return 0;
        return n;
    }
    const int n = SSL_read(c.ssl, data, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
    if (n > 0) return n;
    const int e = SSL_get_error(c.ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return -1;
    return 0;
}

ssize_t io_write(connection& c, const char* data, std::size_t size) {
    if (!c.ssl) {
        const ssize_t n = ::write(c.fd, data, size);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) die(std::string("write failed: ") + std::strerror(errno));
        return n;
    }
    const int n = SSL_write(c.ssl, data, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
    if (n > 0) return n;
    const int e = SSL_get_error(c.ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return -1;
    die("TLS write failed");
}

void set_events(int ep, connection& c, std::uint32_t index, bool write) {
    if (c.want_write == write) return;
    c.want_write = write;
    epoll_event ev{};
    ev.events = EPOLLIN | (write ? EPOLLOUT : 0u);
    ev.data.u32 = index;
    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
}

// Writes what is queued; what the socket does not take waits for EPOLLOUT.
void flush(int ep, connection& c, std::uint32_t index, const std::string& shared) {
    const std::string& frame = c.own.empty() ? shared : c.own;
    while (c.queued > 0) {
        ssize_t n;
        if (c.ssl || c.queued == 1) {
            n = io_write(c, frame.data() + c.offset, frame.size() - c.offset);
        } else {
            iovec iov[64];
            const auto count = static_cast<int>(std::min<std::uint64_t>(c.queued, 64));
            iov[0] = {const_cast<char*>(frame.data()) + c.offset, frame.size() - c.offset};
            for (int i = 1; i < count; ++i)
                iov[i] = {const_cast<char*>(frame.data()), frame.size()};
            n = ::writev(c.fd, iov, count);
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                die(std::string("write failed: ") + std::strerror(errno));
        }
        if (n <= 0) break;
        auto left = static_cast<std::size_t>(n);
        while (left > 0) {
            const std::size_t take = std::min(left, frame.size() - c.offset);
            c.offset += take;
            left -= take;
            if (c.offset == frame.size()) {
                c.offset = 0;
                --c.queued;
            }
        }
    }
    set_events(ep, c, index, c.queued > 0);
}

std::string upgrade_request(const options& o) {
    return "GET / HTTP/1.1\r\nHost: " + o.host +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
           (o.deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "") + "\r\n";
}

void raise_file_limit() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

// --handshakes: connect, upgrade, close handshake, the server's FIN, again; N at once.
int run_handshakes(const options& o, const sockaddr_in& addr) {
    const int ep = epoll_create1(0);
    std::vector<connection> slots(static_cast<std::size_t>(o.connections));
    const std::string request = upgrade_request(o);
    // Masked close frame, status 1000.
    const std::string close_frame = make_frame(0x8, std::string("\x03\xe8", 2), false);
    histogram latency;
    std::uint64_t done = 0, timeouts = 0;
    bool measuring = false;
    const auto start_slot = [&](std::uint32_t i) {
        auto& c = slots[i];
        c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (c.fd < 0) die(std::string("socket: ") + std::strerror(errno));
        int one = 1;
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c.stage = 0;
        c.response.clear();
        c.started = clock_type::now();
        if (connect(c.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS)
            die(std::string("connect: ") + std::strerror(errno));
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.u32 = i;
        epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    };
    const auto abort_slot = [&](connection& c) { // RST: leave no TIME_WAIT behind
        linger l{1, 0};
        setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        close(c.fd);
        c.fd = -1;
    };
    for (std::uint32_t i = 0; i < slots.size(); ++i)
        start_slot(i);
    const auto start = clock_type::now();
    const auto measure_from = start + std::chrono::duration<double>(o.warmup);
    const auto end = measure_from + std::chrono::duration<double>(o.duration);
    double cpu_start = 0, own_start = 0;
    auto last_check = start;
    epoll_event events[256];
    char buf[4096];
    while (true) {
        const auto now = clock_type::now();
        if (!measuring && now >= measure_from) {
            measuring = true;
            cpu_start = server_cpu_seconds(o.server_pid);
            own_start = own_cpu_seconds();
        }
        if (now >= end) break;
        if (now - last_check > std::chrono::milliseconds(100)) { // a server that never finishes: 2 s each
            last_check = now;
            for (std::uint32_t i = 0; i < slots.size(); ++i)
                if (now - slots[i].started > std::chrono::seconds(2)) {
                    abort_slot(slots[i]);
                    ++timeouts;
                    start_slot(i);
                }
        }
        const int n = epoll_wait(ep, events, 256, 100);
        for (int e = 0; e < n; ++e) {
            const auto i = events[e].data.u32;
            auto& c = slots[i];
            if (c.stage == 0) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err) die(std::string("connect: ") + std::strerror(err));
                if (write(c.fd, request.data(), request.size()) != static_cast<ssize_t>(request.size()))
                    die("short write of the upgrade request");
                c.stage = 1;
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.u32 = i;
                epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
                continue;
            }
            bool finished = false;
            for (;;) {
                const ssize_t r = read(c.fd, buf, sizeof buf);
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                if (r <= 0) { // the server's FIN (or a reset) after its close frame
                    if (c.stage != 2) die("server closed during the handshake");
                    finished = true;
                    break;
                }
                c.response.append(buf, static_cast<std::size_t>(r));
                if (c.stage == 1) {
                    const auto head_end = c.response.find("\r\n\r\n");
                    if (head_end == std::string::npos) continue;
                    if (c.response.compare(0, 12, "HTTP/1.1 101") != 0) die("server refused the upgrade");
                    c.response.erase(0, head_end + 4);
                    if (write(c.fd, close_frame.data(), close_frame.size()) != static_cast<ssize_t>(close_frame.size()))
                        die("short write of the close frame");
                    c.stage = 2;
                }
            }
            if (!finished) continue;
            if (c.response.empty() || static_cast<unsigned char>(c.response[0]) != 0x88)
                die("no close frame from the server before its FIN");
            close(c.fd);
            c.fd = -1;
            if (measuring) {
                ++done;
                latency.record(static_cast<std::uint64_t>(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - c.started).count()));
            }
            start_slot(i);
        }
    }
    const double seconds = std::chrono::duration<double>(clock_type::now() - measure_from).count();
    const double cpu = server_cpu_seconds(o.server_pid) - cpu_start;
    const double own = own_cpu_seconds() - own_start;
    for (auto& c : slots)
        if (c.fd >= 0) abort_slot(c);
    const double rate = static_cast<double>(done) / seconds;
    if (o.json)
        std::printf("{\"messages_per_second\":%.0f,\"server_cpu_seconds\":%.3f,\"messages_per_cpu_second\":%.0f,"
                    "\"client_cpu_seconds\":%.3f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
                    "\"timeouts\":%llu}\n",
                    rate, cpu, cpu > 0 ? static_cast<double>(done) / cpu : 0.0, own, latency.percentile_us(0.5),
                    latency.percentile_us(0.99), latency.percentile_us(0.999), latency.max_us(),
                    static_cast<unsigned long long>(timeouts));
    else
        std::printf("%.0f handshakes/s (connect, upgrade, close), server CPU %.2f s, p50 %.1f us, p99 %.1f us, "
                    "%llu timeouts\n",
                    rate, cpu, latency.percentile_us(0.5), latency.percentile_us(0.99),
                    static_cast<unsigned long long>(timeouts));
    return 0;
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
        else if (a == "--senders")
            o.senders = std::stoi(next());
        else if (a == "--duration")
            o.duration = std::min(60.0, std::stod(next()));
        else if (a == "--warmup")
            o.warmup = std::min(10.0, std::stod(next()));
        else if (a == "--rate")
            o.rate = std::stod(next());
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
        else if (a == "--raw")
            o.raw = true;
        else if (a == "--tls")
            o.tls = true;
        else if (a == "--handshakes")
            o.handshakes = true;
        else
            die("unknown option " + a);
    }
    if (o.port <= 0) die("--port is required");
    if (o.host.rfind("127.", 0) != 0) die("loopback (127.x.x.x) addresses only");
    if (o.connections < 1 || o.connections > 60000 || o.size < 0) die("bad --connections or --size");
    if (o.rate < 0 || o.rate > 1e7) die("--rate must be 0 to 10,000,000");
    if (o.rate > 0 && (o.deflate || o.broadcast)) die("--rate works with plain echo only");
    if (o.raw && (o.deflate || o.broadcast || o.tls || o.text || o.handshakes)) die("--raw is plain bytes only");
    if (o.handshakes && (o.tls || o.deflate)) die("--handshakes is plain ws only");
    if (o.senders <= 0 || o.senders > o.connections) o.senders = o.connections;
    raise_file_limit();

    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(o.port));
    if (inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) die("bad --host");
    if (o.handshakes) return run_handshakes(o, addr);

    SSL_CTX* tls = nullptr;
    if (o.tls) {
        tls = SSL_CTX_new(TLS_client_method());
        if (!tls) die("SSL_CTX_new failed");
        SSL_CTX_set_verify(tls, SSL_VERIFY_NONE, nullptr); // loopback, the peer's self-signed certificate
        SSL_CTX_set_mode(tls, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }

    const int ep = epoll_create1(0);
    std::vector<connection> conns(static_cast<std::size_t>(o.connections));
    const long rss_before = server_rss_kib(o.server_pid);
    const std::string request = upgrade_request(o);
    const int opcode = o.text || o.deflate ? 0x1 : 0x2;
    const std::string shared_payload = payload_for(o, 0);
    const payload_pool pool = o.deflate ? make_pool(o, opcode) : payload_pool{};
    std::string inflated; // --deflate: the echo being checked
    // Every connection sends the same bytes (one shared frame: 1,000 x 1 MiB must not cost 1 GiB here).
    const std::string shared = o.raw ? shared_payload : make_frame(opcode, shared_payload, false);
    std::uint64_t wire_bytes = 0;
    // Connect and upgrade in batches: the server answers a batch's requests together.
    const int batch = tls ? 1 : 128;
    for (int first = 0; first < o.connections; first += batch) {
        const int last = std::min(o.connections, first + batch);
        for (int i = first; i < last; ++i) {
            auto& c = conns[static_cast<std::size_t>(i)];
            c.fd = socket(AF_INET, SOCK_STREAM, 0);
            if (c.fd < 0) die(std::string("socket: ") + std::strerror(errno));
            if (connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
                die(std::string("connect failed: ") + std::strerror(errno));
            int one = 1;
            setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (tls) {
                c.ssl = SSL_new(tls);
                SSL_set_fd(c.ssl, c.fd);
                if (SSL_connect(c.ssl) != 1) die("TLS handshake failed");
            }
            if (o.raw) continue;
            const auto sent = c.ssl ? SSL_write(c.ssl, request.data(), static_cast<int>(request.size()))
                                    : write(c.fd, request.data(), request.size());
            if (sent != static_cast<ssize_t>(request.size())) die("write failed");
        }
        for (int i = first; i < last; ++i) {
            auto& c = conns[static_cast<std::size_t>(i)];
            if (!o.raw) {
                std::string head;
                char buf[4096];
                while (head.find("\r\n\r\n") == std::string::npos) {
                    const ssize_t n = c.ssl ? SSL_read(c.ssl, buf, sizeof buf) : read(c.fd, buf, sizeof buf);
                    if (n <= 0) die("handshake failed");
                    head.append(buf, static_cast<std::size_t>(n));
                }
                if (head.find(" 101 ") == std::string::npos) die("server refused the upgrade");
                if (o.deflate) {
                    if (head.find("permessage-deflate") == std::string::npos)
                        die("server did not accept permessage-deflate");
                    const auto bits = head.find("server_max_window_bits=");
                    c.deflate = std::make_unique<deflate_state>();
                    c.deflate->init(bits == std::string::npos ? 15 : std::atoi(head.c_str() + bits + 23), false);
                    // As a browser does: the server may forbid our context takeover (RFC 7692 7.1.1.2).
                    c.deflate->reset_each_message = head.find("client_no_context_takeover") != std::string::npos;
                }
                if (head.size() > head.find("\r\n\r\n") + 4) die("server sent a frame before any message");
            }
            // Without context takeover any order will do: connections start at different places.
            c.sequence = c.deflate && c.deflate->reset_each_message ? static_cast<std::uint64_t>(i) * 37 : 0;
            fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u32 = static_cast<std::uint32_t>(i);
            epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
        }
    }
    if (o.idle) {
        usleep(static_cast<useconds_t>(o.warmup * 1e6) + 500000);
        const long rss_after = server_rss_kib(o.server_pid);
        const double per = (static_cast<double>(rss_after - rss_before) * 1024.0) / o.connections;
        if (o.json)
            std::printf("{\"connections\":%d,\"rss_per_connection\":%.0f,\"server_rss_kib\":%ld}\n", o.connections, per,
                        rss_after);
        else
            std::printf("%d idle connections: %.0f bytes of server RSS each\n", o.connections, per);
        return 0;
    }

    bool measuring = false;
    const auto queue_message = [&](connection& c, clock_type::time_point when) {
        if (!o.broadcast) c.in_flight.push_back(when);
        const auto index = static_cast<std::uint32_t>(&c - conns.data());
        if (c.deflate) {
            const std::size_t k = static_cast<std::size_t>(c.sequence++ % pool.payloads.size());
            c.payload = &pool.payloads[k];
            c.own = c.deflate->reset_each_message ? pool.fresh_frames[k] : pool.takeover_frames[k];
        }
        if (measuring) wire_bytes += c.own.empty() ? shared.size() : c.own.size();
        ++c.queued;
        if (c.queued == 1) flush(ep, c, index, shared);
    };

    histogram latency, send_lag; // send_lag (--rate): how late the generator sent, against its schedule
    std::uint64_t messages = 0, round_received = 0, sent = 0;
    const auto expected_per_round = static_cast<std::uint64_t>(o.senders) * conns.size();
    auto round_started = clock_type::now();
    const auto start = clock_type::now();
    const auto measure_from = start + std::chrono::duration<double>(o.warmup);
    const auto end = measure_from + std::chrono::duration<double>(o.duration);
    // Open loop: never more than this many in flight (a server that cannot keep up).
    const std::uint64_t max_in_flight = 200000;
    bool saturated = false;
    if (o.rate > 0) {
        prctl(PR_SET_TIMERSLACK, 1000UL); // wake within 1 us of the next scheduled send
    } else if (o.broadcast) {
        for (int i = 0; i < o.senders; ++i)
            queue_message(conns[static_cast<std::size_t>(i)], round_started);
    } else {
        for (auto& c : conns)
            queue_message(c, clock_type::now());
    }
    std::uint64_t completed = 0;

    // One whole message arrived on c.
    const auto message_done = [&](connection& c) {
        if (c.compressed_message) {
            if (!c.deflate) die("compressed echo without permessage-deflate");
            if (!c.deflate->inflate_message(c.compressed, inflated) || inflated != *c.payload)
                die("wrong inflated echo");
            c.compressed.clear();
        } else if (c.message_bytes != static_cast<std::uint64_t>(o.size)) {
            die("echo of the wrong size");
        }
        c.message_bytes = 0;
        const auto now = clock_type::now();
        if (o.broadcast) {
            // A round ends when all N connections have all K messages; then the K send again.
            if (measuring) ++messages; // every delivery in the window, rounds whole or not
            if (++round_received < expected_per_round) return;
            round_received = 0;
            if (measuring) {
                latency.record(static_cast<std::uint64_t>(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(now - round_started).count()));
            }
            if (now >= end) return;
            round_started = now;
            for (int i = 0; i < o.senders; ++i)
                queue_message(conns[static_cast<std::size_t>(i)], now);
            return;
        }
        if (c.in_flight.empty()) die("an echo nobody asked for");
        const auto sent_at = c.in_flight.front();
        c.in_flight.pop_front();
        ++completed;
        if (measuring) { // every echo that completes in the window, whenever it was sent
            ++messages;
            latency.record(static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(now - sent_at).count()));
        }
        if (o.rate <= 0) queue_message(c, now);
    };
    // Bytes from the server: frames are parsed as they come, payloads counted.
    const auto consume = [&](connection& c, const char* p, std::size_t n) {
        if (measuring) wire_bytes += n;
        if (o.raw) {
            c.message_bytes += n;
            while (c.message_bytes >= static_cast<std::uint64_t>(o.size) && !c.in_flight.empty()) {
                const auto extra = c.message_bytes - static_cast<std::uint64_t>(o.size);
                c.message_bytes = static_cast<std::uint64_t>(o.size);
                message_done(c);
                c.message_bytes = extra;
            }
            return;
        }
        while (n > 0) {
            if (!c.in_payload) {
                c.head[c.head_size++] = static_cast<unsigned char>(*p++);
                --n;
                if (c.head_size < 2) continue;
                const unsigned len7 = c.head[1] & 0x7F;
                const std::size_t need = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
                if (c.head[1] & 0x80) die("masked frame from the server");
                if (c.head_size < need) continue;
                std::uint64_t length = len7;
                if (len7 >= 126) {
                    length = 0;
                    for (std::size_t i = 2; i < need; ++i)
                        length = (length << 8) | c.head[i];
                }
                c.head_size = 0;
                c.fin = (c.head[0] & 0x80) != 0;
                const auto op = c.head[0] & 0x0F;
                if (op == 0x8) die("server closed a connection");
                // A server may fragment its echo (Beast does, in 4 KiB frames): count to FIN.
                if (op != opcode && op != 0x0) die("echo of the wrong type");
                if (op != 0x0) c.compressed_message = (c.head[0] & 0x40) != 0;
                c.payload_left = length;
                c.in_payload = true;
            } else {
                const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(n, c.payload_left));
                if (c.compressed_message) c.compressed.append(p, take);
                c.message_bytes += take;
                c.payload_left -= take;
                p += take;
                n -= take;
            }
            if (c.in_payload && c.payload_left == 0) {
                c.in_payload = false;
                if (c.fin) message_done(c);
            }
        }
    };

    double cpu_start = 0, own_start = 0;
    std::vector<char> buffer(1 << 20);
    epoll_event events[256];
    std::size_t next_connection = 0;
    while (true) {
        auto now = clock_type::now();
        if (!measuring && now >= measure_from) {
            measuring = true;
            cpu_start = server_cpu_seconds(o.server_pid);
            own_start = own_cpu_seconds();
        }
        if (now >= end) break;
        timespec wait{0, 100 * 1000 * 1000};
        if (o.rate > 0) {
            // Message k is due at start + k / rate: evenly spaced, round-robin over the connections.
            const auto due =
                static_cast<std::uint64_t>(std::chrono::duration<double>(now - start).count() * o.rate) + 1;
            while (sent < due && sent - completed < max_in_flight) {
                const auto at = start + std::chrono::duration_cast<clock_type::duration>(
                                            std::chrono::duration<double>(static_cast<double>(sent) / o.rate));
                if (measuring)
                    send_lag.record(static_cast<std::uint64_t>(
                        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - at).count()));
                queue_message(conns[next_connection], at);
                next_connection = (next_connection + 1) % conns.size();
                ++sent;
            }
            if (sent - completed >= max_in_flight) saturated = true;
            const auto next_at = start + std::chrono::duration_cast<clock_type::duration>(
                                             std::chrono::duration<double>(static_cast<double>(sent) / o.rate));
            const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(next_at - clock_type::now()).count();
            wait = ns <= 0 ? timespec{0, 0} : timespec{0, std::min<long>(static_cast<long>(ns), 100000000L)};
        }
        const int n = epoll_pwait2(ep, events, 256, &wait, nullptr);
        for (int e = 0; e < n; ++e) {
            const auto index = events[e].data.u32;
            auto& c = conns[index];
            if (events[e].events & EPOLLOUT) flush(ep, c, index, shared);
            if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            for (;;) {
                const ssize_t r = io_read(c, buffer.data(), buffer.size());
                if (r == 0) die("server closed a connection");
                if (r < 0) break;
                consume(c, buffer.data(), static_cast<std::size_t>(r));
                if (!c.ssl && static_cast<std::size_t>(r) < buffer.size()) break; // TLS: read until it would block
            }
        }
    }
    const double seconds = std::chrono::duration<double>(clock_type::now() - measure_from).count();
    const double cpu = server_cpu_seconds(o.server_pid) - cpu_start;
    const double own = own_cpu_seconds() - own_start;
    const long rss = server_rss_kib(o.server_pid);
    const double rate = static_cast<double>(messages) / seconds;
    const double per_cpu = cpu > 0 ? static_cast<double>(messages) / cpu : 0;
    const double bytes_per_message = messages ? static_cast<double>(wire_bytes) / static_cast<double>(messages) : 0.0;
    if (o.json) {
        std::printf("{\"messages_per_second\":%.0f,\"server_cpu_seconds\":%.3f,\"messages_per_cpu_second\":%.0f,"
                    "\"client_cpu_seconds\":%.3f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
                    "\"mean_us\":%.1f,\"bytes_per_message\":%.0f,\"server_rss_kib\":%ld,\"offered_rate\":%.0f,"
                    "\"saturated\":%s,\"send_lag_p50_us\":%.1f,\"send_lag_p99_us\":%.1f}\n",
                    rate, cpu, per_cpu, own, latency.percentile_us(0.5), latency.percentile_us(0.99),
                    latency.percentile_us(0.999), latency.max_us(), latency.mean_us(), bytes_per_message, rss, o.rate,
                    saturated ? "true" : "false", send_lag.percentile_us(0.5), send_lag.percentile_us(0.99));
    } else {
        std::printf("%.0f msg/s, server CPU %.2f s (%.0f msg per CPU-s), p50 %.1f us, p99 %.1f us, p99.9 %.1f us%s\n",
                    rate, cpu, per_cpu, latency.percentile_us(0.5), latency.percentile_us(0.99),
                    latency.percentile_us(0.999), saturated ? " (saturated: the server fell behind the rate)" : "");
    }
    for (auto& c : conns) {
        if (c.ssl) SSL_free(c.ssl);
        close(c.fd);
    }
    if (tls) SSL_CTX_free(tls);
    return 0;
}
