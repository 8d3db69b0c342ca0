/// @file
/// Ready-made endpoint configurations. A Config is a plain struct of types and
/// constants; derive from one of these and override what you need:
///
/// @code
///     struct my_config : duplex::config::server {
///         using user_data = my_state;                     // lives in each connection
///         static constexpr std::size_t max_message_size = 1 << 20;
///     };
/// @endcode
///
/// A Config may also name `using transport = ...;` (duplex::transport::tcp when
/// it does not; see duplex/tls.hpp and duplex/unix_socket.hpp).
#pragma once

#include <duplex/config/logger.hpp>
#include <duplex/config/metrics.hpp>
#include <duplex/frame/role.hpp>
#include <duplex/protocol/session_options.hpp>

#include <chrono>
#include <cstddef>

namespace duplex {

/// The user data type of a config that declares none.
struct no_user_data {};

/// What happens when a send would push a connection's queue past its cap.
enum class queue_full_policy {
    fail,  ///< the send fails with error::send_queue_full
    drop,  ///< the message is dropped (counted in metrics; a completion gets error::send_dropped)
    close, ///< the connection is closed with 1008
};

/// The ready-made Configs to derive from.
namespace config {

/// Settings shared by servers and clients.
struct common {
    /// The state each connection holds, default-constructed with it; reach it
    /// with basic_connection::data().
    using user_data = no_user_data;
    /// Logger policy (config/logger.hpp): null_logger, stderr_logger,
    /// callback_logger or one of your own.
    using logger = duplex::null_logger;
    /// Metrics sink: null_metrics (nothing, free) or counter_metrics (see metrics.hpp).
    using metrics = duplex::null_metrics;
    /// true: run the io_context on several threads; each connection gets a strand.
    static constexpr bool multi_threaded = false;

    /// Largest message received, counted after decompression; a larger one
    /// closes the connection with 1009 (RFC 6455 7.4.1).
    static constexpr std::size_t max_message_size = 16 * 1024 * 1024;
    /// Largest frame payload received -> close 1009.
    static constexpr std::size_t max_frame_size = 16 * 1024 * 1024;
    /// Most frames one received message may be split into -> close 1009.
    static constexpr std::size_t max_fragments = 4096;
    /// Cap on bytes queued for sending per connection, and what to do past it.
    /// A send to an empty queue is taken whatever its size.
    static constexpr std::size_t send_queue_limit = 16 * 1024 * 1024;
    /// What a send past send_queue_limit does.
    static constexpr queue_full_policy on_queue_full = queue_full_policy::fail;
    /// on_drain runs when the queue, after rising above the high watermark,
    /// falls to the low one. 0: half and an eighth of send_queue_limit.
    static constexpr std::size_t send_queue_high_watermark = 0;
    /// See send_queue_high_watermark; must be below it.
    static constexpr std::size_t send_queue_low_watermark = 0;
    /// Payload bytes read per receive call (the buffer also has room for a frame header).
    static constexpr std::size_t read_size = 16 * 1024;

    /// Time for the opening handshake, TLS included, from accept (server) or
    /// from the TCP connect (client); past it the connection fails with error::timeout.
    static constexpr std::chrono::milliseconds handshake_timeout{10'000};
    /// After this long without input a ping is sent; 0 disables keepalive.
    /// Checked once per timer tick (park_after, or this when shorter).
    static constexpr std::chrono::milliseconds idle_timeout{60'000};
    /// How long to wait for any input (the pong) after a keepalive ping.
    static constexpr std::chrono::milliseconds pong_timeout{20'000};
    /// How long to wait for the peer's close frame (or its TCP close) after ours.
    static constexpr std::chrono::milliseconds close_timeout{5'000};
    /// A connection quiet this long gives its buffers back and waits for input
    /// without a read buffer (idle memory); 0 keeps buffers. Also the timer tick.
    static constexpr std::chrono::milliseconds park_after{2'000};
    /// Server, plain transports: a message at least this large, sent while
    /// nothing else is queued and without a completion handler, is written
    /// straight from the caller's buffer (header and payload gathered in one
    /// non-blocking send) instead of being copied into the send queue; what the
    /// socket does not take at once is queued as usual. 0: always copy.
    static constexpr std::size_t direct_write_size = 16 * 1024;
};

/// A plain (ws://) server on TCP.
struct server : common {
    /// The server side of RFC 6455: frames from the peer must be masked (5.1).
    using role = server_role;
    /// Beyond this many open connections a handshake is answered with 503.
    static constexpr std::size_t max_connections = 100'000;
    /// Beyond this many accepted connections still in their opening handshake,
    /// a new connection is refused at once (plain transports: a best-effort 503
    /// without reading the request): what idle or slow handshakes can hold is
    /// bounded. Each holds its connection object and a 4 KiB request buffer, at
    /// most until handshake_timeout.
    static constexpr std::size_t max_handshaking = 10'000;
    /// When accept() fails (out of descriptors or memory), wait this long
    /// before accepting again instead of retrying at once (which would spin).
    static constexpr std::chrono::milliseconds accept_retry_delay{100};
    /// Upper bound on connections from one remote address (0: no bound).
    static constexpr std::size_t max_connections_per_address = 0;
    /// Upgrade requests accepted per second from one remote address, with
    /// bursts of up to handshake_burst_per_address (0: the rate); beyond it the
    /// handshake gets 429 with Retry-After. 0: no limit. The server remembers
    /// the last 100,000 addresses.
    static constexpr double handshakes_per_second_per_address = 0;
    /// The burst allowed by handshakes_per_second_per_address (0: the rate).
    static constexpr double handshake_burst_per_address = 0;
    /// stop(): how long connections get to finish their close handshake.
    static constexpr std::chrono::milliseconds stop_timeout{3'000};
};

/// A plain (ws://) client on TCP.
struct client : common {
    /// The client side of RFC 6455: every frame sent is masked (5.3).
    using role = client_role;
    /// Time for name resolution, the TCP connect and a proxy's CONNECT tunnel;
    /// past it the connect fails with error::timeout. handshake_timeout follows.
    static constexpr std::chrono::milliseconds connect_timeout{10'000};
};

} // namespace config

/// The limits a Config sets for the messages a connection receives (message
/// size after decompression, frame size, fragment count), as session options.
template <class Config>
protocol::session_options session_limits() noexcept {
    protocol::session_options limits;
    limits.max_message_size = Config::max_message_size;
    limits.max_frame_size = Config::max_frame_size;
    limits.max_fragments = Config::max_fragments;
    return limits;
}

} // namespace duplex
