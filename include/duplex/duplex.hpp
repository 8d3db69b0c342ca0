// duplex: a header-only WebSocket library (RFC 6455) for servers and clients
// on Asio. This umbrella header needs only Asio and the standard library; with
// the CMake targets duplex::tls and duplex::deflate (which define
// DUPLEX_HAS_TLS and DUPLEX_HAS_ZLIB) it brings in wss and permessage-deflate
// too. Pub/sub, RPC and Redis have their own headers (duplex/pubsub.hpp,
// duplex/rpc.hpp, duplex/pubsub/redis_backplane.hpp).
#pragma once

#include <duplex/client/client.hpp>
#include <duplex/client/message_stream.hpp>
#include <duplex/client/resilient_client.hpp>
#include <duplex/client/url.hpp>
#include <duplex/config.hpp>
#include <duplex/config/macros.hpp>
#include <duplex/connection/connection.hpp>
#include <duplex/error.hpp>
#include <duplex/frame.hpp>
#include <duplex/handshake.hpp>
#include <duplex/protocol.hpp>
#include <duplex/server/server.hpp>
#include <duplex/unix_socket.hpp>

#if DUPLEX_HAS_TLS
#include <duplex/tls.hpp>
#endif
#if DUPLEX_HAS_ZLIB
#include <duplex/client/enable_deflate.hpp>
#include <duplex/server/deflate_negotiator.hpp>
#endif

/// @namespace duplex
/// @brief WebSocket servers and clients (RFC 6455) on Asio: connections,
/// server and client endpoints, configurations, errors; the layers below
/// (frame, handshake, protocol, extensions, transport) are usable alone.
