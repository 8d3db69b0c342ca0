// tls_server: a wss:// echo server. Without --cert/--key it makes a
// self-signed certificate for "localhost" at start (OpenSSL), and can write
// it out (--write-cert FILE) for a client to trust.
//
//   tls_server [--port P] [--cert FILE --key FILE] [--write-cert FILE]
//
// Prints "listening on 127.0.0.1:PORT" once ready. SIGINT/SIGTERM close every
// connection with 1001 and exit 0.
#include "common/cli.hpp"
#include "common/signals.hpp"

#include <duplex/tls.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

template <class T, void (*Free)(T*)>
using owned = std::unique_ptr<T, std::integral_constant<decltype(Free), Free>>;

std::string to_pem(int (*write)(BIO*, void*), void* object) {
    owned<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
    if (!bio || !write(bio.get(), object)) throw std::runtime_error("PEM encoding failed");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

// A P-256 key and a self-signed certificate valid for a day, for localhost and 127.0.0.1.
std::pair<std::string, std::string> make_self_signed() {
    owned<EVP_PKEY, EVP_PKEY_free> key(EVP_EC_gen("P-256"));
    owned<X509, X509_free> cert(X509_new());
    if (!key || !cert) throw std::runtime_error("key generation failed");
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                               0);
    X509_set_issuer_name(cert.get(), name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    owned<X509_EXTENSION, X509_EXTENSION_free> san(
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"));
    if (!san || !X509_add_ext(cert.get(), san.get(), -1)) throw std::runtime_error("subjectAltName failed");
    if (!X509_sign(cert.get(), key.get(), EVP_sha256())) throw std::runtime_error("signing failed");
    const auto cert_pem =
        to_pem([](BIO* b, void* x) { return PEM_write_bio_X509(b, static_cast<X509*>(x)); }, cert.get());
    const auto key_pem = to_pem(
        [](BIO* b, void* k) {
            return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr, nullptr);
        },
        key.get());
    return {cert_pem, key_pem};
}

} // namespace

int main(int argc, char** argv) {
    std::uint16_t port = 8443;
    std::string cert_file, key_file, write_cert;
    example::command_line cli("tls_server", "[--port P] [--cert FILE --key FILE] [--write-cert FILE]");
    cli.option("--port", port);
    cli.option("--cert", cert_file);
    cli.option("--key", key_file);
    cli.option("--write-cert", write_cert);
    cli.parse(argc, argv);
    if (cert_file.empty() != key_file.empty()) cli.fail("--cert and --key go together");

    try {
        const auto make_context = [&] {
            if (!cert_file.empty()) return duplex::tls::make_server_context(cert_file, key_file);
            const auto [cert_pem, key_pem] = make_self_signed();
            if (!write_cert.empty()) {
                std::FILE* f = std::fopen(write_cert.c_str(), "w");
                if (!f || std::fwrite(cert_pem.data(), 1, cert_pem.size(), f) != cert_pem.size())
                    throw std::runtime_error("cannot write " + write_cert);
                std::fclose(f);
            }
            std::fprintf(stderr, "tls_server: using a self-signed certificate for localhost\n");
            return duplex::tls::make_server_context_from_pem(cert_pem, key_pem);
        };
        auto context = make_context();
        asio::io_context io{1};
        duplex::tls_server server{io, context};
        auto& echo = server.route("/*");
        echo.on_message = [](const auto& c, const duplex::message& m) { c->send(m.kind, m.data); };
        example::stop_on_signals signals(io, [&server] { server.stop(); });
        if (const auto ec = server.listen(port, "127.0.0.1")) {
            std::fprintf(stderr, "tls_server: %s\n", ec.message().c_str());
            return 1;
        }
        example::print_listening("127.0.0.1", server.port());
        io.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tls_server: %s\n", e.what());
        return 1;
    }
}
