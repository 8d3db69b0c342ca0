/// @file
/// One WebSocket connection on an Asio stream: the sans-I/O session, a read
/// loop, a send queue with gather writes, and the handshake, keepalive and
/// close timers. Servers and clients make them (duplex/server.hpp,
/// duplex/client.hpp); applications use the shared pointer their handlers get.
#pragma once

#include <duplex/config.hpp>
#include <duplex/config/asio.hpp>
#include <duplex/config/macros.hpp>
#include <duplex/connection/detail/complete_later.hpp>
#include <duplex/connection/detail/operation_memory.hpp>
#include <duplex/connection/detail/outbox.hpp>
#include <duplex/connection/handlers.hpp>
#include <duplex/connection/message.hpp>
#include <duplex/connection/prepared_message.hpp>
#include <duplex/detail/byte_buffer.hpp>
#include <duplex/detail/deadline_service.hpp>
#include <duplex/detail/executor.hpp>
#include <duplex/error.hpp>
#include <duplex/handshake/client_handshake.hpp>
#include <duplex/handshake/http_parser.hpp>
#include <duplex/handshake/server_handshake.hpp>
#include <duplex/protocol/session.hpp>
#include <duplex/protocol/upgrade.hpp>
#include <duplex/transport/tcp.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace duplex {

namespace detail {
struct connection_access;

template <class Config, class = void>
struct transport_of {
    using type = transport::tcp;
};
template <class Config>
struct transport_of<Config, std::void_t<typename Config::transport>> {
    using type = typename Config::transport;
};

} // namespace detail

/// A WebSocket connection of a server or client described by Config (see
/// duplex/config.hpp), always held by a shared_ptr (ptr).
///
/// Sends are queued: a send function returns at once and an optional
/// completion reports when the bytes were written, or why not. A send that
/// would push the queue past Config::send_queue_limit is handled by
/// Config::on_queue_full (fail, drop, or close with 1008).
///
/// @par Thread safety
/// The send functions, ping(), close() and abort() may be called from any
/// thread: they run on the connection's executor, inline when already on it,
/// posted otherwise, so sends made from one thread keep their order. The
/// accessors for handshake results (target(), subprotocol(), extension(), ...)
/// are fixed before on_open and may be read from any thread after it. data()
/// and stream() are not synchronized. Handlers of one connection never run
/// concurrently. When the io_context runs on several threads,
/// Config::multi_threaded must be true (each connection then gets a strand).
template <class Config>
class basic_connection : public std::enable_shared_from_this<basic_connection<Config>>, private detail::deadline_owner {
public:
    /// The Config the connection was made with.
    using config_type = Config;
    /// server_role or client_role: whether frames sent are masked (RFC 6455 5.1, 5.3).
    using role = typename Config::role;
    /// The per-connection state (Config::user_data), reached with data().
    using user_data_type = typename Config::user_data;
    /// Config::transport, or transport::tcp when the Config names none.
    using transport_type = typename detail::transport_of<Config>::type;
    /// The executor every handler runs on: the io_context's, or a strand of it
    /// when Config::multi_threaded.
    using executor_type = detail::executor_for<Config>;
    /// The transport's socket (TCP or Unix domain), under any TLS layer.
    using socket_type = typename transport_type::template socket<executor_type>;
    /// What the connection reads and writes: the socket, or a TLS stream over it.
    using stream_type = typename transport_type::template stream<executor_type>;
    /// How connections are held and passed to handlers.
    using ptr = std::shared_ptr<basic_connection>;
    /// The metrics sink type (Config::metrics); the owning server's or client's sink counts this connection.
    using metrics_type = typename Config::metrics;
    /// The handler set a route or a client connect gives the connection.
    using handlers_type = connection_handlers<basic_connection>;
    /// Reports the outcome of one send, once: an empty error_code once its
    /// bytes were written, else why it was not sent.
    using completion = std::function<void(error_code)>;
    /// A pre-framed message shared by many connections (see make_frame()).
    using shared_frame = std::shared_ptr<const std::string>;

    /// A connection over `stream`, running on `executor`. basic_server and
    /// basic_client make and start connections; one made directly never starts.
    basic_connection(executor_type executor, stream_type stream);
    basic_connection(const basic_connection&) = delete;
    basic_connection& operator=(const basic_connection&) = delete;
    ~basic_connection();

    /// Queue a text message (RFC 6455 5.6); see send() for `done` and the errors.
    void send_text(std::string_view text, completion done = {}) { send(message_kind::text, text, std::move(done)); }
    /// Queue a binary message; see send() for `done` and the errors.
    void send_binary(std::string_view bytes, completion done = {}) {
        send(message_kind::binary, bytes, std::move(done));
    }
    /// Queue a message of either kind, as one frame. The payload is copied
    /// (or, on a server, written straight from it when large; see
    /// Config::direct_write_size), so it need not outlive the call.
    /// @param compress false sends it uncompressed even when permessage-deflate
    /// was negotiated (e.g. already-compressed media).
    /// @param done optional; runs once on the connection's executor, with an
    /// empty error_code once the message was written, or with:
    /// - error::closed: the connection is not open (still in its handshake,
    ///   closing, or ended); also every completion still queued when it ends;
    /// - error::invalid_utf8: a text message that is not UTF-8 (RFC 6455
    ///   8.1), unless validate_utf8 was turned off;
    /// - error::send_queue_full or error::send_dropped, by Config::on_queue_full;
    /// - the transport's error when the write failed.
    ///
    /// Called on the connection's executor (from a handler), `done` may run
    /// before send() returns.
    void send(message_kind kind, std::string_view payload, completion done = {}, bool compress = true);
    /// Queue a message prepared once for many connections: a server queues the
    /// shared frame (compressed once per deflate parameter set where no context
    /// takeover was negotiated, RFC 7692 7.1.1); a client, which masks every
    /// frame, encodes it. `done` and the errors are those of send().
    void send(std::shared_ptr<const prepared_message> message, completion done = {});
    /// Queue a message and complete `token` with (error_code) once it was
    /// written or failed, the Asio way: a callback, asio::use_awaitable,
    /// asio::deferred, use_future. The payload is owned by the operation.
    /// The completion runs on the token's associated executor (the
    /// connection's by default), never inline. Errors as for send().
    template <class CompletionToken>
    auto async_send(message_kind kind, std::string payload, CompletionToken&& token) {
        return asio::async_initiate<CompletionToken, void(error_code)>(
            [self = this->shared_from_this(), kind, p = std::move(payload)](auto handler) mutable {
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                self->send(kind, p, [h, ex = asio::any_io_executor(self->get_executor())](error_code ec) mutable {
                    detail::complete_later(std::move(*h), ex, ec);
                });
            },
            token);
    }
    /// Queue a frame built once by make_frame() for many connections. Server
    /// role only: the frame is unmasked, and clients must mask (RFC 6455 5.3).
    /// It goes out uncompressed whatever was negotiated. `done` and the
    /// errors are those of send(), but for invalid_utf8 (nothing is checked).
    void send_frame(shared_frame frame, completion done = {});
    /// Queue a ping (RFC 6455 5.5.2); the answer reaches on_pong. Nothing is
    /// reported: a ping while not open, or with a payload over 125 bytes, is
    /// dropped. Keepalive pings (Config::idle_timeout) need no call.
    void ping(std::string_view payload = {});
    /// Start the close handshake (RFC 6455 7.1.2): send a close frame with
    /// `code` and `reason`, then wait for the peer's. on_close runs once the
    /// peer's close arrived and the transport ended, or after
    /// Config::close_timeout (on_error then gets error::timeout; close_info
    /// reads 1006 if the peer's close never came). A reason over 123 bytes or
    /// not UTF-8 is dropped and the code sent alone; code 0 or 1005 sends a
    /// close without a code. Another code that frame::is_valid_close_code()
    /// refuses sends no close frame at all, and the connection ends after
    /// Config::close_timeout. During the opening handshake it ends the
    /// connection at once (as abort()); once closing, it does nothing.
    void close(std::uint16_t code = close_code::normal, std::string_view reason = {});
    /// End the connection at once, without a close handshake: the transport
    /// closes, on_error gets error::closed, on_close follows if the connection
    /// had opened, and queued completions get error::closed.
    void abort();

    /// The per-connection user data (Config::user_data), default-constructed
    /// with the connection. Not synchronized: use it from the connection's
    /// handlers, or guard it yourself.
    user_data_type& data() noexcept { return user_data_; }
    /// The per-connection user data; see the overload above.
    const user_data_type& data() const noexcept { return user_data_; }

    /// The request target of the handshake (path and query): the one received
    /// on a server, the one sent on a client.
    const std::string& target() const noexcept { return target_; }
    /// The path without the query.
    std::string_view path() const noexcept { return std::string_view(target_).substr(0, target_.find('?')); }
    /// A path parameter captured by the server's route (e.g. "id" for
    /// "/rooms/{id}"), or empty; not percent-decoded. Always empty on a client.
    std::string_view param(std::string_view name) const noexcept {
        for (const auto& [k, v] : params_)
            if (k == name) return v;
        return {};
    }
    /// The subprotocol agreed at the handshake (Sec-WebSocket-Protocol, RFC
    /// 6455 4.2.2 / 4.1), or empty for none.
    const std::string& subprotocol() const noexcept { return subprotocol_; }
    /// The extension negotiated at the handshake (e.g. permessage-deflate, RFC
    /// 7692), or null for none.
    const protocol::extension* extension() const noexcept { return extension_.get(); }
    /// Client: the HTTP status the server answered the handshake with (101 on
    /// success; e.g. 403 when on_error reported error::handshake_failed).
    /// 0 on a server, and on a client before the answer arrived.
    int handshake_status() const noexcept { return handshake_status_; }
    /// The peer's IP address as text ("203.0.113.7", "::1"); "unix" on a Unix
    /// domain socket; empty on a client until its transport connected.
    const std::string& remote_address() const noexcept { return remote_address_; }
    /// The peer's port; 0 on a Unix domain socket, and where remote_address() is empty.
    std::uint16_t remote_port() const noexcept { return remote_port_; }

    /// Bytes queued but not yet written, frame headers included (approximate
    /// when read from another thread). Compare with the watermarks that drive on_drain.
    std::size_t buffered_amount() const noexcept { return buffered_.load(std::memory_order_relaxed); }
    /// True from just before on_open until the connection ends, closing
    /// included: a send may still fail with error::closed while this is true.
    bool is_open() const noexcept { return open_.load(std::memory_order_relaxed); }
    /// The executor the connection's handlers and completions run on.
    executor_type get_executor() const noexcept { return executor_; }
    /// The transport stream (a TCP socket, or a transport::tls_stream for TLS),
    /// e.g. for socket options. Not synchronized: use it on the connection's
    /// executor, and do not read or write through it.
    stream_type& stream() noexcept { return socket_; }

    /// Frame a message once, unmasked and uncompressed, for send_frame() to
    /// many connections. Server role only (a static_assert for clients).
    /// prepared_message does the same and also shares compressed frames.
    static shared_frame make_frame(message_kind kind, std::string_view payload) {
        static_assert(!role::masks_output, "clients mask each frame; use send()");
        auto out = std::make_shared<std::string>();
        frame::append_unmasked_frame(protocol::opcode_of(kind), 0, payload, *out);
        return out;
    }

private:
    friend struct detail::connection_access; // the endpoint's narrow interface
    enum class phase : std::uint8_t { handshake, open, closing, done };
    // The request is read (handshake_->upgrade: request_ready, or failed its RFC 6455 checks).
    using request_callback = std::function<void(const ptr&)>;

    template <class Fn>
    void run(Fn&& fn);

    // server side
    void start_server(request_callback on_request, const protocol::session_options& limits);
    void read_request();
    void respond_and_close(std::string response);
    void accept(std::shared_ptr<const handlers_type> handlers, const protocol::session_options& options);
    // client side
    void start_client(protocol::client_upgrade_options upgrade, std::shared_ptr<const handlers_type> handlers,
                      protocol::session_options options, std::string tls_host);
    void read_response();
    void queue_frame(shared_frame frame, completion done);

    void open_and_read(std::size_t leftover);
    void do_read();
    void on_read(error_code ec, std::size_t size);
    void dispatch_events();
    void queue_bytes(std::string_view bytes);
    void flush();
    bool write_direct(message_kind kind, std::string_view payload, bool compress);
    void start_write();
    void on_write(error_code ec);
    bool admit(std::size_t size, completion& done);
    void arm_timer(std::chrono::milliseconds after);
    void cancel_timer() noexcept;
    static void on_deadline(detail::deadline_owner* self);
    void on_timer();
    void park();
    void unpark();
    void wake();
    // A TLS stream may hold received bytes the socket cannot signal, and send on its own.
    bool stream_holds_input() const noexcept {
        if constexpr (transport_type::secure)
            return socket_.holds_input();
        else
            return false;
    }
    bool stream_sending() const noexcept {
        if constexpr (transport_type::secure)
            return socket_.sending();
        else
            return false;
    }
    bool process_input();
    static constexpr std::chrono::milliseconds tick_interval() noexcept {
        if constexpr (Config::park_after.count() > 0) {
            if (Config::idle_timeout.count() > 0 && Config::idle_timeout < Config::park_after)
                return Config::idle_timeout;
            return Config::park_after;
        }
        return Config::idle_timeout;
    }
    void after_close_event();
    void finish(error_code ec);
    void update_buffered() noexcept;
    void release_write_buffers() noexcept;
    detail::write_queue& writes() {
        if (!writes_) writes_ = std::make_unique<detail::write_queue>();
        return *writes_;
    }
    std::size_t queued_bytes() const noexcept {
        return (writes_ ? writes_->back.total + writes_->front.total : 0) + session_.output_size();
    }

    executor_type executor_;
    stream_type socket_;
    protocol::session<role> session_;
    std::shared_ptr<const handlers_type> handlers_; // shared by a route's connections
    DUPLEX_NO_UNIQUE_ADDRESS user_data_type user_data_{};

    std::unique_ptr<detail::write_queue> writes_; // null while nothing was sent since the connection parked
    // The small members together: an idle connection's size is what a server
    // with many of them pays for.
    bool writing_ = false;
    bool dispatching_ = false;
    bool activity_ = false;
    bool ping_outstanding_ = false;
    bool backpressured_ = false;
    bool close_seen_ = false;
    bool eof_ = false;
    bool parked_ = false;
    phase phase_ = phase::handshake;
    std::uint8_t wakes_in_tick_ = 0; // parked wake-ups since the last tick
    bool counted_open_ = false;      // server: counted in its open connections
    std::atomic<bool> open_{false};
    std::uint16_t remote_port_ = 0;
    int handshake_status_ = 0;
    std::chrono::milliseconds quiet_for_{0}; // open phase: time without input
    detail::deadline_service::clock::time_point due_ = detail::deadline_service::clock::time_point::max();
    detail::deadline_service* deadlines_; // the io_context's, shared by its connections
    std::atomic<std::size_t> buffered_{0};

    close_info close_info_;
    std::string target_;
    std::vector<std::pair<std::string, std::string>> params_;
    std::string subprotocol_;
    std::string remote_address_;

    // Only needed until the connection opens: kept behind a pointer and freed
    // then, so an open connection carries none of it.
    struct handshake_state {
        request_callback on_request; // server only
        // server: the request, its checks, the 101; client: its request and the check of the answer
        std::optional<std::conditional_t<role::is_client, protocol::client_upgrade, protocol::server_upgrade>> upgrade;
    };
    std::unique_ptr<handshake_state> handshake_ = std::make_unique<handshake_state>();
    // Owner bookkeeping when the connection ends: a plain function and its
    // owner, so that no connection allocates for it.
    void (*on_finished_)(void* owner, basic_connection& c) = nullptr;
    void* owner_ = nullptr;
    metrics_type* metrics_ = nullptr;                // the owner's sink
    std::shared_ptr<protocol::extension> extension_; // negotiated at the handshake
};

} // namespace duplex

#include <duplex/connection/detail/access.hpp>
#include <duplex/connection/impl/handshake.hpp>
#include <duplex/connection/impl/idle.hpp>
#include <duplex/connection/impl/read.hpp>
#include <duplex/connection/impl/send.hpp>
#include <duplex/connection/impl/write.hpp>
