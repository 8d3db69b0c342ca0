// A throw-away CA and a server certificate for "localhost", made with the
// openssl command line tool once per test case that needs them.
#pragma once

#include "support/catch.hpp"

#include <cstdlib>
#include <string>
#include <unistd.h>

namespace duplex_test {

struct test_pki {
    std::string dir;
    test_pki() {
        char tmpl[] = "/tmp/duplex-pki-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        dir = tmpl;
        const std::string script =
            "cd " + dir +
            " && "
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=duplex test CA' "
            "&& openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost' "
            "&& printf 'subjectAltName=DNS:localhost\\n' > ext.cnf "
            "&& openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
            "-extfile ext.cnf";
        REQUIRE(std::system(("(" + script + ") > /dev/null 2>&1").c_str()) == 0);
    }
    ~test_pki() { std::system(("rm -rf " + dir).c_str()); }
    test_pki(const test_pki&) = delete;
    test_pki& operator=(const test_pki&) = delete;
    std::string file(const char* name) const { return dir + "/" + name; }
};

} // namespace duplex_test
