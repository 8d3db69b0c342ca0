/// @file
/// WebSocket over Unix domain sockets: configs and endpoint types. POSIX only
/// (DUPLEX_HAS_LOCAL_SOCKETS).
#pragma once

#include <duplex/client/client.hpp>
#include <duplex/config.hpp>
#include <duplex/server/server.hpp>
#include <duplex/transport/unix_socket.hpp>

namespace duplex {

namespace config {
/// A server on a Unix domain socket: server.listen_unix("/run/app.sock").
struct unix_server : server {
    using transport = duplex::transport::unix_socket; ///< local stream sockets
};
/// A client for ws+unix:/path/to.sock:/request/path URLs.
struct unix_client : client {
    using transport = duplex::transport::unix_socket; ///< local stream sockets
};
} // namespace config

/// A server on a Unix domain socket, with the default limits. Every peer has
/// the address "unix", so per-address limits treat all peers as one.
using unix_server = basic_server<config::unix_server>;
/// A client for ws+unix: URLs, with the default limits; other URLs fail with error::bad_url.
using unix_client = basic_client<config::unix_client>;

} // namespace duplex
