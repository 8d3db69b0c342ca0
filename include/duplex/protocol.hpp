/// @file
/// The sans-I/O session layer. See duplex/protocol/session.hpp.
#pragma once

#include <duplex/protocol/connection.hpp>
#include <duplex/protocol/event.hpp>
#include <duplex/protocol/extension.hpp>
#include <duplex/protocol/session.hpp>
#include <duplex/protocol/session_options.hpp>
#include <duplex/protocol/upgrade.hpp>

/// @namespace duplex::protocol
/// WebSocket without I/O (RFC 6455 4-7), in the shape of Python's wsproto:
/// bytes in, events and bytes out; no sockets, clocks or threads. session
/// runs an open connection, server_upgrade and client_upgrade the opening
/// handshake, server_connection and client_connection both in turn.
