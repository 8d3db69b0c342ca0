// duplex: requires zlib
/// @file
/// permessage-deflate (RFC 7692) on a client endpoint: the offer and the check
/// of the answer.
///
/// @code
///   duplex::client_options options;
///   duplex::extensions::enable_deflate(options);
/// @endcode
///
/// Link the CMake target `%duplex::deflate` (zlib).
#pragma once

#include <duplex/client/client.hpp>
#include <duplex/extensions/permessage_deflate.hpp>

#include <memory>
#include <string>
#include <vector>

namespace duplex::extensions {

/// Offer permessage-deflate from a client with `options` and check the
/// server's answer (RFC 7692 7.1): an answer the offer could not have asked
/// for, or more than the one extension offered, fails the handshake with
/// error::bad_response. Replaces client.extensions and client.accept_extensions.
inline void enable_deflate(client_options& client, deflate_options options = {}) {
    client.extensions = make_deflate_offer(options);
    client.accept_extensions = [options](const std::vector<handshake::extension_offer>& accepted,
                                         std::string& reason) -> std::shared_ptr<protocol::extension> {
        if (accepted.size() != 1) {
            reason = "server accepted more than the one extension offered";
            return nullptr;
        }
        const auto agreement = accept_deflate_response(accepted.front(), options);
        if (!agreement) {
            reason = "server's permessage-deflate parameters could not have been asked for";
            return nullptr;
        }
        return std::make_shared<permessage_deflate>(*agreement, options);
    };
}

} // namespace duplex::extensions
