// duplex: requires tls
/// @file
/// A TLS stream over an Asio stream socket, through OpenSSL with a BIO of our own.
///
/// Why not asio::ssl::stream: it moves ciphertext through 17 KiB buffers, so a
/// large message costs one receive call and one event-loop turn per 16 KiB
/// record (100 x 1 MiB wss echo: receive windows closed long enough for TCP's
/// persist timer, p99 about 1 s), and each connection holds four 17 KiB buffers
/// while it waits. This stream receives as much as the reader asked for in one
/// call, hands out every record that arrived in one completion, encrypts a whole
/// write before one send, and gives every buffer back when its connection parks
/// (release_buffers(), OpenSSL's included).
///
/// One read and one write may be outstanding at a time, from one strand, as with
/// any Asio stream. Errors are those of asio::ssl::stream: asio::error::eof after
/// the peer's close_notify, asio::ssl::error::stream_truncated when the TCP stream
/// ends without it, OpenSSL's reason in asio::error::get_ssl_category() otherwise.
#pragma once

#include <duplex/config/asio_ssl.hpp>
#include <duplex/detail/byte_buffer.hpp>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <system_error>
#include <utility>

namespace duplex::transport {

namespace detail {

// What the BIO reads from and writes to: ciphertext received and not yet
// taken by OpenSSL, and ciphertext OpenSSL produced and not yet sent.
struct tls_buffers {
    duplex::detail::byte_buffer in;
    duplex::detail::byte_buffer out;
    bool eof = false; // the TCP stream ended
};

inline int tls_bio_read(BIO* bio, char* data, int size) {
    auto* b = static_cast<tls_buffers*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    if (b->in.empty()) {
        if (b->eof) return 0;
        BIO_set_retry_read(bio);
        return -1;
    }
    const std::size_t n = std::min(b->in.size(), static_cast<std::size_t>(size));
    std::memcpy(data, b->in.data(), n);
    b->in.consume(n);
    return static_cast<int>(n);
}

inline int tls_bio_write(BIO* bio, const char* data, int size) {
    auto* b = static_cast<tls_buffers*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    b->out.append(data, static_cast<std::size_t>(size)); // never full: each write is sent before the next is taken
    return size;
}

inline long tls_bio_ctrl(BIO* bio, int command, long, void*) {
    auto* b = static_cast<tls_buffers*>(BIO_get_data(bio));
    switch (command) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_PENDING: return b ? static_cast<long>(b->in.size()) : 0;
    case BIO_CTRL_WPENDING: return b ? static_cast<long>(b->out.size()) : 0;
    case BIO_CTRL_EOF: return b && b->eof && b->in.empty() ? 1 : 0;
    default: return 0;
    }
}

inline BIO_METHOD* tls_bio_method() {
    static BIO_METHOD* const method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "duplex tls buffers");
        if (m) {
            BIO_meth_set_read(m, tls_bio_read);
            BIO_meth_set_write(m, tls_bio_write);
            BIO_meth_set_ctrl(m, tls_bio_ctrl);
        }
        return m;
    }();
    return method;
}

// A write's completion, kept while its ciphertext waits behind a send in
// flight; allocated with the handler's allocator.
struct tls_waiter {
    void (*fire)(tls_waiter*, error_code);
    void (*destroy)(tls_waiter*) noexcept;
};

template <class Handler>
struct tls_waiter_for final : tls_waiter {
    using allocator_type =
        typename std::allocator_traits<asio::associated_allocator_t<Handler>>::template rebind_alloc<tls_waiter_for>;
    using traits = std::allocator_traits<allocator_type>;

    tls_waiter_for(Handler&& h, std::size_t n) : tls_waiter{&fire_now, &destroy_now}, handler(std::move(h)), bytes(n) {}

    static tls_waiter* make(Handler&& h, std::size_t n) {
        allocator_type a(asio::get_associated_allocator(h));
        auto* p = traits::allocate(a, 1);
        return ::new (static_cast<void*>(p)) tls_waiter_for(std::move(h), n);
    }
    static void fire_now(tls_waiter* w, error_code ec) {
        auto* self = static_cast<tls_waiter_for*>(w);
        Handler h(std::move(self->handler));
        const std::size_t n = self->bytes;
        destroy_now(w);
        h(ec, ec ? 0 : n);
    }
    static void destroy_now(tls_waiter* w) noexcept {
        auto* self = static_cast<tls_waiter_for*>(w);
        allocator_type a(asio::get_associated_allocator(self->handler));
        self->~tls_waiter_for();
        traits::deallocate(a, self, 1);
    }

    Handler handler;
    std::size_t bytes;
};

} // namespace detail

/// A TLS stream over `Socket` (an asio::basic_stream_socket), made from an
/// asio::ssl::context: the context's certificate, key, verify mode, trust
/// store and callbacks apply. TLS renegotiation is refused.
///
/// Its async_read_some() and async_write_some() take callback handlers, not
/// completion tokens; asio::async_read() and asio::async_write() work over
/// them. Completions never run inside the initiating call; they run on the
/// socket's executor, not on an executor associated with the handler.
///
/// Copies share one TLS session (the state is reference-counted), so a copy is
/// another handle to the same stream, not a second stream.
/// @par Thread safety
/// Distinct objects: safe. Shared objects: unsafe; one strand drives the stream,
/// with at most one read and one write outstanding.
template <class Socket>
class tls_stream {
public:
    /// The socket the ciphertext goes through.
    using next_layer_type = Socket;
    /// The socket's lowest layer (the socket itself for a basic_stream_socket).
    using lowest_layer_type = typename Socket::lowest_layer_type;
    /// The socket's executor; completions run on it.
    using executor_type = typename Socket::executor_type;
    /// OpenSSL's connection object.
    using native_handle_type = SSL*;

    /// Take over a connected `socket` and make an SSL object from `context`
    /// (OpenSSL keeps its own reference to the context). No I/O happens until
    /// async_handshake().
    /// @throws system_error (asio::error::get_ssl_category()) when OpenSSL
    /// cannot make the SSL object or its BIO.
    tls_stream(Socket&& socket, asio::ssl::context& context)
        : impl_(std::make_shared<impl>(std::move(socket), context)) {}
    /// A stream whose socket is not connected yet: a client connects
    /// lowest_layer(), then runs async_handshake().
    /// @throws system_error as the constructor above.
    tls_stream(const executor_type& executor, asio::ssl::context& context)
        : impl_(std::make_shared<impl>(executor, context)) {}

    /// The socket's executor.
    executor_type get_executor() noexcept { return impl_->socket.get_executor(); }
    /// The socket under the stream.
    Socket& next_layer() noexcept { return impl_->socket; }
    /// The socket's lowest layer: cancel() or close() it to end pending operations.
    lowest_layer_type& lowest_layer() noexcept { return impl_->socket.lowest_layer(); }
    /// OpenSSL's SSL object, e.g. to read the peer certificate after the handshake.
    SSL* native_handle() noexcept { return impl_->ssl; }

    /// Run the TLS handshake. A client with a non-empty `host` sends it as SNI
    /// (names only, RFC 6066 3) and, when the context verifies peers, checks
    /// the certificate against it (RFC 6125 rules, through OpenSSL); an IP
    /// address is checked against the certificate's IP addresses instead.
    /// @param server true to accept (server side), false to connect.
    /// @param host the name the client expects; ignored when `server`.
    /// @param handler called as `handler(error_code)`: OpenSSL's reason in
    /// asio::error::get_ssl_category() (a certificate or host name that fails
    /// verification, no common protocol version), stream_truncated when the
    /// peer closes the TCP stream, or the socket's error.
    template <class Handler>
    void async_handshake(bool server, const std::string& host, Handler&& handler) {
        auto& s = *impl_;
        if (server) {
            SSL_set_accept_state(s.ssl);
        } else {
            SSL_set_connect_state(s.ssl);
            if (!host.empty()) {
                error_code not_address;
                asio::ip::make_address(host, not_address);
                if (not_address) {
                    SSL_set_tlsext_host_name(s.ssl, host.c_str());
                    SSL_set1_host(s.ssl, host.c_str());
                } else {
                    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s.ssl), host.c_str());
                }
            }
        }
        impl_->handshake_step(std::forward<Handler>(handler), true);
    }

    /// True when received bytes wait inside the stream (ciphertext not yet
    /// decrypted, plaintext not yet read), which the socket's readiness cannot
    /// signal: a connection parks only when there are none.
    bool holds_input() const noexcept { return !impl_->buffers.in.empty() || ::SSL_has_pending(impl_->ssl) != 0; }
    /// Give back every buffer that holds nothing, OpenSSL's record buffers
    /// included (a connection does this when it parks).
    void release_buffers() noexcept {
        impl& s = *impl_;
        s.buffers.in.release_if_empty();
        s.buffers.out.release_if_empty();
        if (!s.sending) s.flight.release_if_empty();
        ::SSL_free_buffers(s.ssl);
    }
    /// True while ciphertext is being sent (or waits to be).
    bool sending() const noexcept { return impl_->sending || !impl_->buffers.out.empty(); }

    /// Read plaintext into the first buffer of `buffers` (the others are not
    /// used): every record already received, up to the buffer's size, in one
    /// completion. With none, one receive from the socket asks for as much
    /// ciphertext as the buffer can hold (16 KiB at least).
    /// @param handler called as `handler(error_code, std::size_t bytes)`:
    /// asio::error::eof after the peer's close_notify, stream_truncated when
    /// the TCP stream ends without it, OpenSSL's reason otherwise, or the
    /// socket's error (operation_aborted after cancel()).
    template <class MutableBufferSequence, class Handler>
    void async_read_some(const MutableBufferSequence& buffers, Handler&& handler) {
        const asio::mutable_buffer b = *asio::buffer_sequence_begin(buffers);
        impl_->read_step(b, std::forward<Handler>(handler), true);
    }

    /// Encrypt up to 256 KiB of `buffers` (small pieces gathered into full
    /// records) and send the ciphertext in one write. The handler runs once
    /// all of it has been sent.
    /// @param handler called as `handler(error_code, std::size_t bytes)` with
    /// the plaintext bytes taken, 0 on error. After a failed send, every later
    /// write fails with that send's error.
    template <class ConstBufferSequence, class Handler>
    void async_write_some(const ConstBufferSequence& buffers, Handler&& handler) {
        impl_->write(buffers, std::forward<Handler>(handler));
    }

private:
    struct impl : std::enable_shared_from_this<impl> {
        // Plaintext taken per write: its ciphertext is sent in one call.
        static constexpr std::size_t max_write = 256 * 1024;
        // A TLS record holds up to 16 KiB of plaintext (RFC 8446 5.1) and some overhead.
        static constexpr std::size_t record = 16 * 1024;
        static constexpr std::size_t record_overhead = 64;

        template <class SocketOrExecutor> // a connected socket, or the executor of an unconnected one
        impl(SocketOrExecutor&& s, asio::ssl::context& context)
            : socket(std::forward<SocketOrExecutor>(s)), ssl(::SSL_new(context.native_handle())) {
            BIO* bio = ssl ? ::BIO_new(detail::tls_bio_method()) : nullptr;
            if (!bio) {
                const error_code ec(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
                if (ssl) ::SSL_free(ssl);
                throw system_error(ec, "tls_stream");
            }
            BIO_set_data(bio, &buffers);
            BIO_set_init(bio, 1);
            ::SSL_set_bio(ssl, bio, bio);
            ::SSL_set_options(ssl, SSL_OP_NO_RENEGOTIATION);
        }
        ~impl() {
            if (waiter) waiter->destroy(waiter);
            ::SSL_free(ssl);
        }
        impl(const impl&) = delete;
        impl& operator=(const impl&) = delete;

        Socket socket;
        SSL* ssl;
        detail::tls_buffers buffers;
        duplex::detail::byte_buffer flight; // ciphertext being sent
        bool sending = false;
        error_code send_error;                // the first failed send; later writes fail with it
        detail::tls_waiter* waiter = nullptr; // the write whose ciphertext is not all sent

        // The error of a failed OpenSSL call, as asio::ssl::stream reports it.
        error_code error_for(int ssl_error) const {
            if (ssl_error == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
            if (const unsigned long e = ::ERR_get_error()) {
                if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) return asio::ssl::error::stream_truncated;
                return {static_cast<int>(e), asio::error::get_ssl_category()};
            }
            if (buffers.eof) return asio::ssl::error::stream_truncated;
            return asio::ssl::error::unspecified_system_error;
        }

        // A completion known at once still runs from the event loop, never
        // inside the initiating call.
        template <class Handler, class... Args>
        void post_completion(Handler&& h, Args... args) {
            asio::post(socket.get_executor(), [h = std::forward<Handler>(h), args...]() mutable { h(args...); });
        }

        // Send what OpenSSL produced, unless a send is in flight: that one
        // sends the rest when it completes.
        void send() {
            if (sending || buffers.out.empty()) return;
            sending = true;
            std::swap(flight, buffers.out);
            asio::async_write(socket, asio::buffer(flight.data(), flight.size()),
                              [self = this->shared_from_this()](error_code ec, std::size_t) { self->sent(ec); });
        }

        void sent(error_code ec) {
            sending = false;
            flight.clear();
            flight.shrink_if_empty(record + record_overhead);
            if (ec && !send_error) send_error = ec;
            if (!send_error && !buffers.out.empty()) return send();
            if (auto* w = std::exchange(waiter, nullptr)) w->fire(w, send_error);
        }

        // Receive up to `want` bytes of ciphertext, then `next(error)`.
        template <class Next>
        void receive(std::size_t want, Next&& next) {
            auto* data = buffers.in.prepare(want);
            socket.async_read_some(
                asio::buffer(data, want), [self = this->shared_from_this(),
                                           next = std::forward<Next>(next)](error_code ec, std::size_t n) mutable {
                    self->buffers.in.commit(n);
                    if (n == 0) self->buffers.in.release_if_empty(); // cancelled (a connection parks) or ended
                    if (ec == asio::error::eof) {
                        self->buffers.eof = true; // OpenSSL tells a clean end (close_notify) from a cut
                        ec = {};
                    }
                    next(ec);
                });
        }

        template <class Handler>
        void handshake_step(Handler&& h, bool first) {
            ::ERR_clear_error();
            const int rc = ::SSL_do_handshake(ssl);
            const int err = rc == 1 ? SSL_ERROR_NONE : ::SSL_get_error(ssl, rc);
            error_code ec = rc == 1 ? error_code{} : error_for(err);
            send(); // our flight, or an alert
            if (err == SSL_ERROR_WANT_READ && !buffers.eof)
                return receive(record + record_overhead,
                               [self = this->shared_from_this(), h = std::forward<Handler>(h)](error_code e) mutable {
                                   if (e) return h(e);
                                   self->handshake_step(std::move(h), false);
                               });
            if (first) return post_completion(std::forward<Handler>(h), ec);
            h(ec);
        }

        template <class Handler>
        void read_step(asio::mutable_buffer b, Handler&& h, bool first) {
            std::size_t total = 0;
            int err = SSL_ERROR_NONE;
            ::ERR_clear_error();
            // Every record already here, up to the caller's buffer, in one completion.
            while (total < b.size()) {
                std::size_t n = 0;
                const int rc = ::SSL_read_ex(ssl, static_cast<char*>(b.data()) + total, b.size() - total, &n);
                if (rc == 1) {
                    total += n;
                    continue;
                }
                err = ::SSL_get_error(ssl, rc);
                break;
            }
            const error_code ec = total != 0 || err == SSL_ERROR_WANT_READ ? error_code{} : error_for(err);
            send(); // what OpenSSL owes the peer (a key update), or an alert
            if (total == 0 && b.size() != 0 && err == SSL_ERROR_WANT_READ && !buffers.eof) {
                // As much as the reader asked for, in one receive call.
                const std::size_t want = std::max(b.size(), record) + (b.size() / record + 1) * record_overhead;
                return receive(
                    want, [self = this->shared_from_this(), b, h = std::forward<Handler>(h)](error_code e) mutable {
                        if (e) return h(e, std::size_t{0});
                        self->read_step(b, std::move(h), false);
                    });
            }
            buffers.in.shrink_if_empty(2 * record); // kept while busy (an allocation per record costs), up to 32 KiB
            const error_code result = total == 0 && b.size() != 0 && !ec ? error_for(SSL_ERROR_SYSCALL) : ec;
            if (first) return post_completion(std::forward<Handler>(h), result, total);
            h(result, total);
        }

        template <class ConstBufferSequence, class Handler>
        void write(const ConstBufferSequence& pieces, Handler&& h) {
            if (send_error) return post_completion(std::forward<Handler>(h), send_error, std::size_t{0});
            // Small buffers (frame headers, small frames) are gathered into full
            // records; a large one is encrypted where it lies.
            thread_local unsigned char staging[record];
            std::size_t plaintext = 0;
            for (auto it = asio::buffer_sequence_begin(pieces); it != asio::buffer_sequence_end(pieces); ++it)
                plaintext += it->size();
            plaintext = std::min(plaintext, max_write);
            buffers.out.prepare(plaintext + (plaintext / record + 1) * record_overhead); // one allocation, no regrowth
            std::size_t staged = 0;
            std::size_t taken = 0;
            error_code ec;
            const auto encrypt = [&](const void* data, std::size_t size) {
                std::size_t n = 0;
                ::ERR_clear_error();
                const int rc = ::SSL_write_ex(ssl, data, size, &n);
                if (rc != 1) ec = error_for(::SSL_get_error(ssl, rc));
            };
            for (auto it = asio::buffer_sequence_begin(pieces); it != asio::buffer_sequence_end(pieces); ++it) {
                asio::const_buffer piece = asio::buffer(*it, max_write - taken);
                taken += piece.size();
                while (piece.size() != 0 && !ec) {
                    if (staged == 0 && piece.size() >= record) {
                        encrypt(piece.data(), piece.size());
                        break;
                    }
                    const std::size_t n = std::min(record - staged, piece.size());
                    std::memcpy(staging + staged, piece.data(), n);
                    staged += n;
                    piece += n;
                    if (staged == record) {
                        encrypt(staging, staged);
                        staged = 0;
                    }
                }
                if (ec || taken == max_write) break;
            }
            if (staged != 0 && !ec) encrypt(staging, staged);
            if (ec || taken == 0) return post_completion(std::forward<Handler>(h), ec, std::size_t{0});
            waiter = detail::tls_waiter_for<std::decay_t<Handler>>::make(std::forward<Handler>(h), taken);
            send();
        }
    };

    std::shared_ptr<impl> impl_;
};

} // namespace duplex::transport
