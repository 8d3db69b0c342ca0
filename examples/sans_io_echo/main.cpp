// sans_io_echo: a WebSocket echo server on POSIX sockets and poll(2), with no
// Asio at all: duplex's sans-I/O connection (duplex/protocol/connection.hpp)
// takes every byte from the first one of the HTTP request to the close, and
// this file only moves bytes. An event loop of your own drives duplex the same way.
//
//   sans_io_echo [--host H] [--port P] [--max-message-size N] [--max-fragments N] [--deflate]
//
// Prints "listening on HOST:PORT" once ready; every path accepts the upgrade,
// a plain HTTP request gets 404. SIGINT/SIGTERM close every connection with
// 1001 and exit 0.
#include "common/cli.hpp"

#include <duplex/protocol/connection.hpp>
#if DUPLEX_HAS_ZLIB
#include <duplex/extensions/permessage_deflate.hpp>
#endif

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    std::size_t max_message_size = 16 * 1024 * 1024;
    std::size_t max_fragments = 4096;
    bool deflate = false;
};

options parse(int argc, char** argv) {
    options o;
    example::command_line cli("sans_io_echo",
                              "[--host H] [--port P] [--max-message-size N] [--max-fragments N] [--deflate]");
    cli.option("--host", o.host);
    cli.option("--port", o.port);
    cli.option("--max-message-size", o.max_message_size, 1);
    cli.option("--max-fragments", o.max_fragments, 1);
    cli.flag("--deflate", o.deflate);
    cli.parse(argc, argv);
#if !DUPLEX_HAS_ZLIB
    if (o.deflate) cli.fail("built without permessage-deflate (zlib)");
#endif
    return o;
}

volatile std::sig_atomic_t stop_requested = 0;

// One accepted socket and the connection that reads its bytes.
struct client {
    int fd;
    duplex::protocol::server_connection connection;
    std::chrono::steady_clock::time_point accepted = std::chrono::steady_clock::now();
};

// Timers are the event loop's job: a connection still in its handshake this
// long after it was accepted is closed (slowloris).
constexpr std::chrono::seconds handshake_timeout{10};

// Write what the connection has to send until the socket would block.
// False when the socket failed.
bool flush(client& c) {
    for (auto out = c.connection.output(); !out.empty(); out = c.connection.output()) {
        const ssize_t n = ::send(c.fd, out.data(), out.size(), MSG_NOSIGNAL);
        if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        c.connection.consume_output(static_cast<std::size_t>(n));
    }
    return true;
}

// The bytes that came in: handshake, then messages echoed back.
void handle(client& c, const char* data, std::size_t size) {
    using duplex::protocol::event;
    using duplex::protocol::upgrade_state;
    c.connection.feed(data, size);
    if (c.connection.state() == upgrade_state::request_ready) {
        if (c.connection.upgrade().is_upgrade())
            c.connection.accept();
        else
            c.connection.respond(404, "not found: this server speaks WebSocket only\n");
    }
    while (const event ev = c.connection.next_event()) {
        if (ev.type == event::message)
            (void)c.connection.session().send_message(ev.kind, ev.data.data(), ev.data.size());
    }
}

// A non-blocking listening socket; its port in `bound_port`. -1 on failure.
int listen_on(const options& o, unsigned& bound_port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    addrinfo* found = nullptr;
    if (::getaddrinfo(o.host.c_str(), std::to_string(o.port).c_str(), &hints, &found) != 0 || !found) return -1;
    const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    const bool ok = fd >= 0 && ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd, 512) == 0;
    const bool v6 = found->ai_family == AF_INET6;
    ::freeaddrinfo(found);
    if (!ok) {
        if (fd >= 0) ::close(fd);
        return -1;
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
    bound_port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                          : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return fd;
}

} // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    duplex::protocol::server_connection_options settings;
    settings.session.max_message_size = o.max_message_size;
    settings.session.max_frame_size = o.max_message_size;
    settings.session.max_fragments = o.max_fragments;
#if DUPLEX_HAS_ZLIB
    if (o.deflate) settings.upgrade.negotiate_extensions = duplex::extensions::deflate_negotiator();
#endif

    unsigned bound_port = 0;
    const int listener = listen_on(o, bound_port);
    if (listener < 0) {
        std::fprintf(stderr, "sans_io_echo: cannot listen on %s:%u: %s\n", o.host.c_str(), o.port,
                     std::strerror(errno));
        return 1;
    }
    struct sigaction action {};
    action.sa_handler = [](int) { stop_requested = 1; };
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    example::print_listening(o.host, bound_port);

    std::vector<std::unique_ptr<client>> clients;
    std::vector<pollfd> polled;
    std::vector<char> buffer(64 * 1024);
    bool stopping = false;
    int rounds_left = 25; // once stopping: 5 s of 200 ms polls for the peers' close answers
    while (!stopping || (!clients.empty() && rounds_left-- > 0)) {
        if (stop_requested && !stopping) {
            stopping = true; // RFC 6455 7.4.1: 1001, going away
            ::close(listener);
            for (auto& c : clients) {
                if (c->connection.state() == duplex::protocol::upgrade_state::open)
                    (void)c->connection.session().send_close(1001, "server stopping");
                else
                    c->fd = (::close(c->fd), -1); // still in its handshake: just go
            }
            for (auto it = clients.begin(); it != clients.end();)
                it = (*it)->fd < 0 ? clients.erase(it) : it + 1;
        }
        polled.clear();
        if (!stopping) polled.push_back({listener, POLLIN, 0});
        for (auto& c : clients)
            polled.push_back({c->fd, static_cast<short>(POLLIN | (c->connection.output().empty() ? 0 : POLLOUT)), 0});
        if (::poll(polled.data(), polled.size(), 200) < 0 && errno != EINTR) break;

        const std::size_t first_client = stopping ? 0 : 1;
        if (!stopping && (polled[0].revents & POLLIN)) {
            for (int fd; (fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
                const int on = 1;
                ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
                clients.push_back(
                    std::unique_ptr<client>(new client{fd, duplex::protocol::server_connection(settings)}));
            }
        }
        // (clients accepted just now were not polled: they come next round)
        for (std::size_t i = 0; i + first_client < polled.size(); ++i) {
            client& c = *clients[i];
            bool alive = true;
            if (polled[i + first_client].revents & (POLLIN | POLLHUP | POLLERR)) {
                const ssize_t n = ::recv(c.fd, buffer.data(), buffer.size(), 0);
                if (n > 0)
                    handle(c, buffer.data(), static_cast<std::size_t>(n));
                else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                    alive = false; // the peer is gone (its close, if any, was already read)
            }
            if (alive) alive = flush(c) && !c.connection.should_close_transport();
            if (alive && c.connection.state() != duplex::protocol::upgrade_state::open &&
                std::chrono::steady_clock::now() - c.accepted > handshake_timeout)
                alive = false;
            if (!alive) {
                (void)c.connection.transport_closed();
                ::close(c.fd);
                c.fd = -1;
            }
        }
        for (auto it = clients.begin(); it != clients.end();)
            it = (*it)->fd < 0 ? clients.erase(it) : it + 1;
    }
    for (auto& c : clients)
        ::close(c->fd);
    return 0;
}
