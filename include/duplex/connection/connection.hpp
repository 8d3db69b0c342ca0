// One WebSocket connection on an Asio stream: the session (protocol), a read
// loop, a write queue with gather writes, and timers.
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

/// A connection of a server or client described by Config (see duplex/config.hpp).
/// All public member functions are safe to call from any thread.

template <class Config>
class basic_connection : public std::enable_shared_from_this<basic_connection<Config>>, private detail::deadline_owner {
public:
    using config_type = Config;
    using role = typename Config::role;
    using user_data_type = typename Config::user_data;
    using transport_type = typename detail::transport_of<Config>::type;
    using executor_type = detail::executor_for<Config>;
    using socket_type = typename transport_type::template socket<executor_type>;
    using stream_type = typename transport_type::template stream<executor_type>;
    using ptr = std::shared_ptr<basic_connection>;
    using metrics_type = typename Config::metrics;
    using handlers_type = connection_handlers<basic_connection>;
    using completion = std::function<void(error_code)>;
    /// A pre-framed message shared by many connections (see make_frame()).
    using shared_frame = std::shared_ptr<const std::string>;

    basic_connection(executor_type executor, stream_type stream);
    basic_connection(const basic_connection&) = delete;
    basic_connection& operator=(const basic_connection&) = delete;
    ~basic_connection();

    /// Queue a text message. `done` (optional) runs once it was written or failed.
    void send_text(std::string_view text, completion done = {}) { send(message_kind::text, text, std::move(done)); }
    /// Queue a binary message.
    void send_binary(std::string_view bytes, completion done = {}) {
        send(message_kind::binary, bytes, std::move(done));
    }
    /// Queue a message of either kind. `compress` false sends it uncompressed even
    /// when permessage-deflate was negotiated (e.g. already-compressed media).
    void send(message_kind kind, std::string_view payload, completion done = {}, bool compress = true);
    /// Queue a message prepared once for many connections: a server queues the
    /// shared frame (compressed once per deflate parameter set where no context
    /// takeover was negotiated); a client, which masks every frame, encodes it.
    void send(std::shared_ptr<const prepared_message> message, completion done = {});
    /// Queue a message and complete `token` with (error_code) once it was
    /// written or failed, the Asio way: a callback, asio::use_awaitable,
    /// asio::deferred, use_future. The payload is copied (owned) at the call.
    /// The completion runs on the token's associated executor, never inline.
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
    /// Queue a frame built once by make_frame() for many connections (server role).
    void send_frame(shared_frame frame, completion done = {});
    void ping(std::string_view payload = {});
    /// Start the close handshake; on_close runs when it completes or times out.
    void close(std::uint16_t code = close_code::normal, std::string_view reason = {});
    /// End the connection at once without a close handshake.
    void abort();

    /// The per-connection user data (Config::user_data).
    user_data_type& data() noexcept { return user_data_; }
    const user_data_type& data() const noexcept { return user_data_; }

    /// The request target of the handshake (path and query).
    const std::string& target() const noexcept { return target_; }
    /// The path without the query.
    std::string_view path() const noexcept { return std::string_view(target_).substr(0, target_.find('?')); }
    /// A path parameter captured by the route (e.g. "id" for "/rooms/{id}").
    std::string_view param(std::string_view name) const noexcept {
        for (const auto& [k, v] : params_)
            if (k == name) return v;
        return {};
    }
    const std::string& subprotocol() const noexcept { return subprotocol_; }
    /// The extension negotiated at the handshake (e.g. permessage-deflate), or null.
    const protocol::extension* extension() const noexcept { return extension_.get(); }
    /// Client: the HTTP status the server answered the handshake with (101 on
    /// success; e.g. 403 when on_error reported error::handshake_failed).
    int handshake_status() const noexcept { return handshake_status_; }
    const std::string& remote_address() const noexcept { return remote_address_; }
    std::uint16_t remote_port() const noexcept { return remote_port_; }

    /// Bytes queued but not yet written (approximate when read from another thread).
    std::size_t buffered_amount() const noexcept { return buffered_.load(std::memory_order_relaxed); }
    bool is_open() const noexcept { return open_.load(std::memory_order_relaxed); }
    executor_type get_executor() const noexcept { return executor_; }
    /// The transport stream (a TCP socket, or a transport::tls_stream for TLS).
    stream_type& stream() noexcept { return socket_; }

    /// Frame a message once for send_frame() to many connections.
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
