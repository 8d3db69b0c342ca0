// The Conan test package: the headers compile and link, and the handshake key
// of RFC 6455 1.3 comes out right.
#include <duplex/duplex.hpp>

#include <cstdio>

int main() {
    const auto accept = duplex::handshake::compute_accept_key("dGhlIHNhbXBsZSBub25jZQ==");
    std::printf("duplex test_package: %s\n", accept.c_str());
    return accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" ? 0 : 1;
}
