/// @file
/// The client side of the opening handshake (RFC 6455 4.1).
#pragma once

#include <duplex/handshake/accept_key.hpp>
#include <duplex/handshake/http_message.hpp>
#include <duplex/handshake/http_writer.hpp>
#include <duplex/handshake/token_list.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace duplex::handshake {

/// What a client puts into its upgrade request.
struct client_request_options {
    std::string host;                      ///< Host header, with ":port" when not the default
    std::string target = "/";              ///< path and query
    std::string origin;                    ///< Origin header; empty for none
    std::vector<std::string> subprotocols; ///< Sec-WebSocket-Protocol offer, most wanted first; non-tokens are left out
    std::string extensions;                ///< Sec-WebSocket-Extensions offer; empty for none
    header_fields headers;                 ///< extra fields (cookies, authorization, ...)
};

/// The GET request that opens a connection, with `key` as Sec-WebSocket-Key.
///
/// Header fields that could split the request are left out (see
/// is_safe_header_value()), and bytes of the target that would end the request
/// line are percent-encoded: options may come from untrusted input.
/// @param key from generate_client_key(); check_upgrade_response() needs it again.
inline std::string build_client_request(const client_request_options& options, std::string_view key) {
    std::string out;
    out.reserve(256);
    out += "GET ";
    // Bytes that would end or split the request line (controls, space, DEL) are percent-encoded.
    for (const char c : options.target.empty() ? std::string_view("/") : std::string_view(options.target)) {
        const auto u = static_cast<unsigned char>(c);
        if (u > 0x20 && u != 0x7F) {
            out += c;
            continue;
        }
        out += '%';
        out += "0123456789ABCDEF"[u >> 4];
        out += "0123456789ABCDEF"[u & 15];
    }
    out += " HTTP/1.1\r\n";
    detail::append_field(out, "Host", options.host);
    out += "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n";
    detail::append_field(out, "Sec-WebSocket-Key", key);
    if (!options.origin.empty()) detail::append_field(out, "Origin", options.origin);
    if (!options.subprotocols.empty()) {
        std::string list;
        for (const auto& p : options.subprotocols) {
            if (!is_token(p)) continue;
            if (!list.empty()) list += ", ";
            list += p;
        }
        if (!list.empty()) detail::append_field(out, "Sec-WebSocket-Protocol", list); // 1#token: never empty
    }
    if (!options.extensions.empty()) detail::append_field(out, "Sec-WebSocket-Extensions", options.extensions);
    for (const auto& [name, value] : options.headers)
        detail::append_field(out, name, value);
    out += "\r\n";
    return out;
}

/// Result of checking the server's answer. `ok` false carries a reason.
struct response_check {
    bool ok = false;                         ///< the response completes the handshake
    std::string reason;                      ///< when not ok: why, for logs and errors
    std::string subprotocol;                 ///< the server's choice, or empty
    std::vector<extension_offer> extensions; ///< what the server accepted
    /// True when `ok`.
    explicit operator bool() const noexcept { return ok; }
};

/// Check a response against RFC 6455 4.1 (the client's items 1-6): status
/// 101, Upgrade and Connection, Sec-WebSocket-Accept for `key`, and no
/// subprotocol or extension that was not offered.
///
/// Extension parameters are not checked here: the extension's own negotiator
/// (such as extensions::accept_deflate_response()) knows their rules.
/// @param key the Sec-WebSocket-Key the request carried.
/// @param offered_subprotocols the request's subprotocols; the server may pick one.
/// @param offered_extensions names of the extensions the client offered.
/// @return ok with the chosen subprotocol and extensions, or the first failed check.
inline response_check check_upgrade_response(const http_response& response, std::string_view key,
                                             const std::vector<std::string>& offered_subprotocols,
                                             const std::vector<std::string>& offered_extensions) {
    response_check r;
    const auto fail = [&r](std::string reason) {
        r.ok = false;
        r.reason = std::move(reason);
        return r;
    };
    if (response.status() != 101)
        return fail("server answered " + std::to_string(response.status()) + " instead of 101");
    if (!response.header_has_token("Upgrade", "websocket")) return fail("response lacks Upgrade: websocket");
    if (!response.header_has_token("Connection", "upgrade")) return fail("response lacks Connection: upgrade");
    const auto accept = response.header("Sec-WebSocket-Accept");
    if (!accept || trim_ows(*accept) != compute_accept_key(key))
        return fail("Sec-WebSocket-Accept does not match the key");
    if (response.header_count("Sec-WebSocket-Protocol") > 1) return fail("several Sec-WebSocket-Protocol headers");
    if (const auto protocol = response.header("Sec-WebSocket-Protocol")) {
        const auto chosen = trim_ows(*protocol);
        bool offered = false;
        for (const auto& p : offered_subprotocols)
            if (p == chosen) offered = true;
        if (!offered) return fail("server chose subprotocol '" + std::string(chosen) + "' that was not offered");
        r.subprotocol = std::string(chosen);
    }
    auto extensions = parse_extensions(response.header_list("Sec-WebSocket-Extensions"));
    if (!extensions) return fail("malformed Sec-WebSocket-Extensions in response");
    for (const auto& e : *extensions) {
        bool offered = false;
        for (const auto& name : offered_extensions)
            if (iequals(name, e.name)) offered = true;
        if (!offered) return fail("server accepted extension '" + e.name + "' that was not offered");
    }
    r.extensions = std::move(*extensions);
    r.ok = true;
    return r;
}

} // namespace duplex::handshake
