// A server's sans-I/O session (protocol/session.hpp) fed masked client frames
// in reads the input chooses, with and without permessage-deflate; see
// session_driver.hpp for the input layout and the checks.
#include <duplex/protocol/session.hpp>

#include "fuzz_target.hpp"
#include "session_driver.hpp"

DUPLEX_FUZZ_TARGET(server_session) {
    duplex_fuzz::session_driver<duplex::server_role>(data, size).run();
    return 0;
}
