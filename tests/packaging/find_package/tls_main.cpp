// Links duplex::tls from an installed package: the TLS headers and OpenSSL resolve.
#include <duplex/tls.hpp>

int main() {
    auto context = duplex::tls::make_client_context();
    return context.native_handle() != nullptr ? 0 : 1;
}
