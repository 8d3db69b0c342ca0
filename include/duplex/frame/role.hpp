/// @file
/// Endpoint roles: the masking rules of RFC 6455 5.1 as template parameters.
#pragma once

namespace duplex {

/// The server role: receives masked frames, sends unmasked ones.
struct server_role {
    static constexpr bool is_client = false; ///< true for the side that sends the opening request
    /// RFC 6455 5.1: a client MUST mask every frame it sends.
    static constexpr bool expects_masked_input = true;
    static constexpr bool masks_output = false; ///< frames sent carry no mask
};

/// The client role: masks every frame it sends with a fresh random key.
struct client_role {
    static constexpr bool is_client = true; ///< true for the side that sends the opening request
    /// RFC 6455 5.1: a server MUST NOT mask any frame it sends.
    static constexpr bool expects_masked_input = false;
    static constexpr bool masks_output = true; ///< every frame sent is masked (make_mask_key())
};

} // namespace duplex
