// duplex: requires zlib
// permessage-deflate on a server endpoint: the negotiator a route takes.
//   route.negotiate_extensions = duplex::extensions::deflate_negotiator();
// Link duplex::deflate (zlib).
#pragma once

#include <duplex/extensions/permessage_deflate.hpp>
#include <duplex/handlers.hpp>

#include <memory>
#include <string>
#include <vector>

namespace duplex::extensions {

/// A server endpoint's negotiator: accepts the first permessage-deflate offer
/// it can honour with `options` (RFC 7692 7.1) and gives that connection its
/// permessage_deflate state; offers it cannot honour leave the connection
/// uncompressed. Thread safety: the returned function may be called from any thread.
inline extension_negotiator deflate_negotiator(deflate_options options = {}) {
    return [options](const std::vector<handshake::extension_offer>& offers,
                     std::string& header) -> std::shared_ptr<protocol::extension> {
        const auto agreement = negotiate_deflate_offer(offers, options, header);
        if (!agreement) return nullptr;
        return std::make_shared<permessage_deflate>(*agreement, options);
    };
}

} // namespace duplex::extensions
