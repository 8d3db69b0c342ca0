// duplex: requires tls
/// @file
/// wss: the TLS endpoint configurations (tls_server, tls_client) and the
/// contexts to give them (duplex/transport/tls_context.hpp). Link the CMake
/// target `%duplex::tls`.
///
/// @code
///     auto context = duplex::tls::make_server_context("chain.pem", "key.pem");
///     duplex::tls_server server(io, context); // context must outlive the server
/// @endcode
#pragma once

#include <duplex/client/client.hpp>
#include <duplex/config.hpp>
#include <duplex/server/server.hpp>
#include <duplex/transport/tls.hpp>
#include <duplex/transport/tls_context.hpp>

namespace duplex {

namespace config {
/// A wss:// server: TLS with the certificate of the context given to the server.
struct tls_server : server {
    using transport = duplex::transport::tls; ///< TLS over TCP
};
/// A wss:// client: verifies the server's chain and host name, sends SNI.
struct tls_client : client {
    using transport = duplex::transport::tls; ///< TLS over TCP
};
} // namespace config

/// A wss:// server with the default limits; made with a server context
/// (tls::make_server_context()).
using tls_server = basic_server<config::tls_server>;
/// A wss:// client with the default limits; made with a client context
/// (tls::make_client_context()). It takes wss:// URLs only.
using tls_client = basic_client<config::tls_client>;

} // namespace duplex
