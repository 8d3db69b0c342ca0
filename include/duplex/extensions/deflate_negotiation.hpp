/// @file
/// permessage-deflate parameter negotiation (RFC 7692 section 7). Pure parsing,
/// no zlib: usable to test offers and responses on their own.
#pragma once

#include <duplex/handshake/token_list.hpp>

#include <optional>
#include <string>
#include <vector>

/// @namespace duplex::extensions
/// Extensions that plug into protocol::session through protocol::extension:
/// permessage-deflate (RFC 7692).
namespace duplex::extensions {

/// What this endpoint is willing to do; the same struct serves a server and a client.
struct deflate_options {
    /// Window bits for our compressor, 9-15 (zlib cannot make raw deflate
    /// streams with an 8-bit window, so 8 is never agreed for our side).
    int max_window_bits = 15;
    /// Ask the peer to compress each message on its own (the default): a
    /// server includes client_no_context_takeover in its response (RFC 7692
    /// 7.1.1.2), a client offers server_no_context_takeover. No connection
    /// then holds an inflater between messages (about 39 KiB at window 15):
    /// one per thread reads every message that comes whole. Peer messages
    /// get larger (about 20% on 1 KiB JSON). False: let the peer choose.
    bool request_no_context_takeover = true;
    /// Compress each message on its own (the default). No connection then
    /// holds a compressor: one per thread serves them all (and a broadcast is
    /// compressed once), which is faster and saves about 256 KiB per
    /// connection, for larger messages (about 20% on 1 KiB JSON messages).
    /// False: keep the compressor's context from message to message.
    bool no_context_takeover = true;
    int compression_level = 1; ///< zlib level 0-9; 1 is fast and compresses JSON well
    int memory_level = 8;      ///< zlib memLevel 1-9
    /// Messages shorter than this are sent uncompressed.
    std::size_t threshold = 64;
};

/// The parameters both sides agreed on, from one side's point of view.
struct deflate_agreement {
    int send_window_bits = 15;                ///< our compressor's window
    int receive_window_bits = 15;             ///< the peer's compressor's window (our inflater)
    bool send_no_context_takeover = false;    ///< our compressor starts each message afresh
    bool receive_no_context_takeover = false; ///< the peer's does: no inflater is kept between messages
};

namespace detail {
// "8".."15" exactly; nullopt for anything else ("15abc", "", "016", " 9").
inline std::optional<int> parse_window_bits(const std::string& value) {
    if (value.empty() || value.size() > 2) return std::nullopt;
    int n = 0;
    for (char c : value) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    if (value.size() == 2 && value[0] == '0') return std::nullopt;
    if (n < 8 || n > 15) return std::nullopt;
    return n;
}

struct parsed_offer {
    bool server_no_context_takeover = false;
    bool client_no_context_takeover = false;
    std::optional<int> server_max_window_bits;
    bool client_max_window_bits = false; // present
    std::optional<int> client_max_window_bits_value;
};

// Validate one permessage-deflate element: known parameters, each at most once,
// values well-formed (RFC 7692 7.1). `from_server` selects the response rules.
inline std::optional<parsed_offer> parse_params(const handshake::extension_offer& e, bool from_server) {
    parsed_offer p;
    bool seen[4] = {};
    for (const auto& param : e.params) {
        int index;
        if (handshake::iequals(param.name, "server_no_context_takeover"))
            index = 0;
        else if (handshake::iequals(param.name, "client_no_context_takeover"))
            index = 1;
        else if (handshake::iequals(param.name, "server_max_window_bits"))
            index = 2;
        else if (handshake::iequals(param.name, "client_max_window_bits"))
            index = 3;
        else
            return std::nullopt;              // unknown parameter
        if (seen[index]) return std::nullopt; // duplicate
        seen[index] = true;
        switch (index) {
        case 0:
        case 1:
            if (param.has_value) return std::nullopt;
            (index == 0 ? p.server_no_context_takeover : p.client_no_context_takeover) = true;
            break;
        case 2: {
            const auto bits = param.has_value ? parse_window_bits(param.value) : std::nullopt;
            if (!bits) return std::nullopt;
            p.server_max_window_bits = bits;
            break;
        }
        case 3:
            p.client_max_window_bits = true;
            if (param.has_value) {
                const auto bits = parse_window_bits(param.value);
                if (!bits) return std::nullopt;
                p.client_max_window_bits_value = bits;
            } else if (from_server) {
                return std::nullopt; // a response must give a value
            }
            break;
        }
    }
    return p;
}
} // namespace detail

/// Server side: choose the first acceptable permessage-deflate offer (RFC 7692 7.1).
///
/// Offers with unknown, repeated or malformed parameters are skipped, as is one
/// asking for server_max_window_bits=8, which zlib cannot produce.
/// @param offers the request's Sec-WebSocket-Extensions (protocol::server_upgrade::offered_extensions()).
/// @param response set to the Sec-WebSocket-Extensions value to answer with.
/// @return the agreement, or nullopt to decline (the connection then goes on uncompressed).
inline std::optional<deflate_agreement> negotiate_deflate_offer(const std::vector<handshake::extension_offer>& offers,
                                                                const deflate_options& options, std::string& response) {
    for (const auto& offer : offers) {
        if (!handshake::iequals(offer.name, "permessage-deflate")) continue;
        const auto p = detail::parse_params(offer, false);
        if (!p) continue; // invalid offer: try the next one
        deflate_agreement a;
        // Our compressor (server -> client).
        a.send_window_bits = options.max_window_bits;
        if (p->server_max_window_bits) {
            if (*p->server_max_window_bits < 9) continue; // zlib cannot honour 8: decline this offer
            if (*p->server_max_window_bits < a.send_window_bits) a.send_window_bits = *p->server_max_window_bits;
        }
        a.send_no_context_takeover = p->server_no_context_takeover || options.no_context_takeover;
        // The client's compressor (client -> server).
        a.receive_window_bits = p->client_max_window_bits_value.value_or(15);
        a.receive_no_context_takeover = p->client_no_context_takeover || options.request_no_context_takeover;
        response = "permessage-deflate";
        if (a.send_no_context_takeover) response += "; server_no_context_takeover";
        if (a.receive_no_context_takeover) response += "; client_no_context_takeover";
        if (p->server_max_window_bits || a.send_window_bits < 15)
            response += "; server_max_window_bits=" + std::to_string(a.send_window_bits);
        if (p->client_max_window_bits_value)
            response += "; client_max_window_bits=" + std::to_string(a.receive_window_bits);
        return a;
    }
    return std::nullopt;
}

/// Client side: the Sec-WebSocket-Extensions offer to send. Never asks for
/// client_max_window_bits below 9, so no server can demand a window zlib
/// cannot produce.
inline std::string make_deflate_offer(const deflate_options& options) {
    std::string offer = "permessage-deflate";
    if (options.no_context_takeover) offer += "; client_no_context_takeover";
    if (options.request_no_context_takeover) offer += "; server_no_context_takeover";
    // Value-less, as browsers send it: the server may then pick our window (RFC 7692 7.1.2.2).
    offer += "; client_max_window_bits";
    if (options.max_window_bits < 15) offer += "=" + std::to_string(options.max_window_bits);
    return offer;
}

/// Client side: check the server's answer against what we offered (RFC 7692 7.1).
///
/// A response is refused when its parameters are unknown, repeated or
/// malformed, when it sets our window above `options.max_window_bits` or
/// below 9, or when it omits server_no_context_takeover that we requested.
/// @param options the options make_deflate_offer() built the offer from.
/// @return the agreement, or nullopt if the response could not have been asked
/// for: fail the connection.
inline std::optional<deflate_agreement> accept_deflate_response(const handshake::extension_offer& response,
                                                                const deflate_options& options) {
    if (!handshake::iequals(response.name, "permessage-deflate")) return std::nullopt;
    const auto p = detail::parse_params(response, true);
    if (!p) return std::nullopt;
    deflate_agreement a;
    // client_max_window_bits (always offered): never above what we offered.
    if (p->client_max_window_bits && *p->client_max_window_bits_value > options.max_window_bits) return std::nullopt;
    a.send_window_bits = p->client_max_window_bits_value.value_or(options.max_window_bits);
    if (a.send_window_bits < 9) return std::nullopt;
    a.send_no_context_takeover = p->client_no_context_takeover || options.no_context_takeover;
    a.receive_window_bits = p->server_max_window_bits.value_or(15);
    a.receive_no_context_takeover = p->server_no_context_takeover;
    if (options.request_no_context_takeover && !p->server_no_context_takeover) return std::nullopt;
    return a;
}

} // namespace duplex::extensions
