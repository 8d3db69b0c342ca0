// WebSocket over Unix domain sockets: configs and endpoint types.
#pragma once

#include <duplex/client/client.hpp>
#include <duplex/config.hpp>
#include <duplex/server/server.hpp>
#include <duplex/transport/unix_socket.hpp>

namespace duplex {

namespace config {
/// A server on a Unix domain socket: server.listen_unix("/run/app.sock").
struct unix_server : server {
    using transport = duplex::transport::unix_socket;
};
/// A client for ws+unix:/path/to.sock:/request/path URLs.
struct unix_client : client {
    using transport = duplex::transport::unix_socket;
};
} // namespace config

using unix_server = basic_server<config::unix_server>;
using unix_client = basic_client<config::unix_client>;

} // namespace duplex
