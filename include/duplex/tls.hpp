// duplex: requires tls
// wss: the TLS endpoint configurations (tls_server, tls_client) and the
// contexts to give them (duplex/transport/tls_context.hpp). Link duplex::tls.
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
    using transport = duplex::transport::tls;
};
/// A wss:// client: verifies the server's chain and host name, sends SNI.
struct tls_client : client {
    using transport = duplex::transport::tls;
};
} // namespace config

using tls_server = basic_server<config::tls_server>;
using tls_client = basic_client<config::tls_client>;

} // namespace duplex
