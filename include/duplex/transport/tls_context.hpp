// duplex: requires tls
/// @file
/// TLS contexts for wss:// servers and clients (OpenSSL through asio::ssl):
/// TLS 1.2 or later, ALPN http/1.1, peer verification for clients.
/// Link the CMake target `%duplex::tls`.
#pragma once

#include <duplex/config/asio_ssl.hpp>

#include <openssl/ssl.h>

#include <string>
#include <string_view>

namespace duplex {

/// Ready-made asio::ssl::context objects for transport::tls.
namespace tls {

namespace detail {
// ALPN: a WebSocket handshake is HTTP/1.1 (RFC 6455 4.1; RFC 8441 is not used).
inline int select_http11(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
                         unsigned int in_length, void*) {
    for (unsigned int i = 0; i < in_length; i += 1u + in[i]) {
        if (in[i] == 8 && i + 9 <= in_length &&
            std::string_view(reinterpret_cast<const char*>(in + i + 1), 8) == "http/1.1") {
            *out = in + i + 1;
            *out_length = 8;
            return SSL_TLSEXT_ERR_OK;
        }
    }
    return SSL_TLSEXT_ERR_NOACK;
}
} // namespace detail

/// A server context for a PEM certificate chain and private key, TLS 1.2 or
/// later. ALPN selects http/1.1 when the client offers it (RFC 6455 4.1: the
/// upgrade is HTTP/1.1) and is left out otherwise. Clients are not asked for
/// certificates; call set_verify_mode() on the result for that.
/// @param certificate_chain_file PEM: the server's certificate first, then intermediates.
/// @param private_key_file PEM, unencrypted.
/// @throws system_error (asio::error::get_ssl_category()) when a file cannot be
/// read or does not parse.
inline asio::ssl::context make_server_context(const std::string& certificate_chain_file,
                                              const std::string& private_key_file) {
    asio::ssl::context context(asio::ssl::context::tls_server);
    context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                        asio::ssl::context::single_dh_use);
    context.use_certificate_chain_file(certificate_chain_file);
    context.use_private_key_file(private_key_file, asio::ssl::context::pem);
    SSL_CTX_set_alpn_select_cb(context.native_handle(), detail::select_http11, nullptr);
    return context;
}

/// A server context from a PEM certificate chain and key held in memory (e.g.
/// generated at start); otherwise as make_server_context().
/// @throws system_error (asio::error::get_ssl_category()) when they do not parse.
inline asio::ssl::context make_server_context_from_pem(const std::string& certificate_chain_pem,
                                                       const std::string& private_key_pem) {
    asio::ssl::context context(asio::ssl::context::tls_server);
    context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                        asio::ssl::context::single_dh_use);
    context.use_certificate_chain(asio::buffer(certificate_chain_pem));
    context.use_private_key(asio::buffer(private_key_pem), asio::ssl::context::pem);
    SSL_CTX_set_alpn_select_cb(context.native_handle(), detail::select_http11, nullptr);
    return context;
}

/// A client context that verifies servers (verify_peer) against the system's
/// trust store, or against `ca_file` (PEM) when given, and offers ALPN
/// http/1.1. The host name is set per connection, by tls_stream::async_handshake().
/// @throws system_error (asio::error::get_ssl_category()) when `ca_file`
/// cannot be read, or the default trust store cannot be set.
inline asio::ssl::context make_client_context(const std::string& ca_file = {}) {
    asio::ssl::context context(asio::ssl::context::tls_client);
    context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    if (ca_file.empty())
        context.set_default_verify_paths();
    else
        context.load_verify_file(ca_file);
    context.set_verify_mode(asio::ssl::verify_peer);
    static const unsigned char alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(context.native_handle(), alpn, sizeof alpn);
    return context;
}

} // namespace tls

} // namespace duplex
