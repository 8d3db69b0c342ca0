// duplex: a header-only WebSocket library (RFC 6455) for servers and clients
// on standalone Asio. This umbrella header needs only Asio and the standard
// library; TLS and permessage-deflate have their own headers.
#pragma once

#include <duplex/client/client.hpp>
#include <duplex/config.hpp>
#include <duplex/connection/connection.hpp>
#include <duplex/error.hpp>
#include <duplex/frame.hpp>
#include <duplex/handshake.hpp>
#include <duplex/client/message_stream.hpp>
#include <duplex/protocol.hpp>
#include <duplex/server/server.hpp>
#include <duplex/client/url.hpp>
