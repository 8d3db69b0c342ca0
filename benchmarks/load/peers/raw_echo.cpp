// The physical reference: a minimal TCP echo on epoll, no WebSocket framing. It
// reads what arrives and writes it back, so a round trip costs one recv and one
// send on each side, which is the floor under any WebSocket server's echo.
// load_generator --raw sends the same payload bytes and waits for them back.
//   raw_echo [--port P] [--threads N]   prints "listening on 127.0.0.1:PORT"
// With N threads, each has its own epoll and listening socket (SO_REUSEPORT).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {
[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "raw_echo: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

int listen_on(unsigned short port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind");
    if (listen(fd, 4096) != 0) die("listen");
    return fd;
}

void serve(int listener) {
    const int ep = epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listener;
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    std::unordered_map<int, std::string> pending; // bytes the socket did not take yet
    std::vector<char> buffer(1 << 16);
    epoll_event events[256];
    for (;;) {
        const int n = epoll_wait(ep, events, 256, -1);
        for (int e = 0; e < n; ++e) {
            const int fd = events[e].data.fd;
            if (fd == listener) {
                for (;;) {
                    const int c = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
                    if (c < 0) break;
                    int one = 1;
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    epoll_event cev{};
                    cev.events = EPOLLIN;
                    cev.data.fd = c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                }
                continue;
            }
            const auto drop = [&] {
                pending.erase(fd);
                close(fd);
            };
            if (events[e].events & EPOLLOUT) { // resume after a partial write
                auto& rest = pending[fd];
                const ssize_t w = write(fd, rest.data(), rest.size());
                if (w < 0 && errno != EAGAIN) {
                    drop();
                    continue;
                }
                if (w > 0) rest.erase(0, static_cast<std::size_t>(w));
                if (!rest.empty()) continue;
                pending.erase(fd);
                epoll_event cev{};
                cev.events = EPOLLIN;
                cev.data.fd = fd;
                epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
                continue;
            }
            const ssize_t r = read(fd, buffer.data(), buffer.size());
            if (r == 0 || (r < 0 && errno != EAGAIN)) {
                drop();
                continue;
            }
            if (r < 0) continue;
            const ssize_t w = write(fd, buffer.data(), static_cast<std::size_t>(r));
            if (w < 0 && errno != EAGAIN) {
                drop();
                continue;
            }
            const auto done = w > 0 ? static_cast<std::size_t>(w) : 0;
            if (done < static_cast<std::size_t>(r)) { // stop reading until the rest is out
                pending[fd].assign(buffer.data() + done, static_cast<std::size_t>(r) - done);
                epoll_event cev{};
                cev.events = EPOLLOUT;
                cev.data.fd = fd;
                epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
            }
        }
    }
}
} // namespace

int main(int argc, char** argv) {
    unsigned short port = 0;
    unsigned threads = 1;
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::string(argv[i]) == "--port") port = static_cast<unsigned short>(std::stoi(argv[i + 1]));
        if (std::string(argv[i]) == "--threads") threads = static_cast<unsigned>(std::max(1, std::stoi(argv[i + 1])));
    }
    std::signal(SIGPIPE, SIG_IGN); // a client that leaves mid-echo is not a reason to stop
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
    std::vector<int> listeners{listen_on(port)};
    sockaddr_in bound{};
    socklen_t len = sizeof bound;
    getsockname(listeners[0], reinterpret_cast<sockaddr*>(&bound), &len);
    port = ntohs(bound.sin_port);
    for (unsigned i = 1; i < threads; ++i)
        listeners.push_back(listen_on(port));
    std::printf("listening on 127.0.0.1:%u\n", port);
    std::fflush(stdout);
    std::vector<std::thread> workers;
    for (unsigned i = 1; i < threads; ++i)
        workers.emplace_back(serve, listeners[i]);
    serve(listeners[0]);
}
