/// @file
/// The server side of the opening handshake (RFC 6455 4.2).
#pragma once

#include <duplex/handshake/accept_key.hpp>
#include <duplex/handshake/http_message.hpp>
#include <duplex/handshake/http_writer.hpp>
#include <duplex/handshake/token_list.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace duplex::handshake {

/// Result of checking an upgrade request. `status` is 0 when it is acceptable;
/// otherwise the HTTP status to answer with and a short reason for the body.
struct upgrade_check {
    int status = 0;          ///< 0, or 400, 405, 426 or 505
    std::string_view reason; ///< when refused: a short explanation (static text)
    std::string_view key;    ///< Sec-WebSocket-Key, when acceptable; points into the request
    /// True when the request is acceptable.
    explicit operator bool() const noexcept { return status == 0; }
};

/// True if the request asks for a WebSocket upgrade at all (has an Upgrade
/// header naming websocket). Requests that don't are plain HTTP.
inline bool is_upgrade_request(const http_request& request) {
    return request.header_has_token("Upgrade", "websocket");
}

/// Check an upgrade request against RFC 6455 4.2.1, in the order of its items:
/// GET (405), HTTP/1.1 or later (505), one Host, Upgrade: websocket and
/// Connection: upgrade (400), Sec-WebSocket-Version 13 (426) and one valid
/// Sec-WebSocket-Key (400).
///
/// Origin is not checked: whom to accept is the application's decision
/// (RFC 6455 10.2). Answer a refusal with build_reject_response(), which adds
/// what a 426 needs.
inline upgrade_check check_upgrade_request(const http_request& request) {
    upgrade_check r;
    const auto reject = [&r](int status, std::string_view reason) {
        r.status = status;
        r.reason = reason;
        return r;
    };
    if (request.method() != "GET") return reject(405, "WebSocket upgrade requires GET");
    if (request.version_major() < 1 || (request.version_major() == 1 && request.version_minor() < 1))
        return reject(505, "WebSocket upgrade requires HTTP/1.1 or later");
    const auto hosts = request.header_count("Host");
    if (hosts == 0) return reject(400, "missing Host header");
    if (hosts > 1) return reject(400, "duplicate Host header");
    if (!request.header("Upgrade")) return reject(400, "missing Upgrade header");
    if (!request.header_has_token("Upgrade", "websocket")) return reject(400, "Upgrade header does not name websocket");
    if (!request.header_has_token("Connection", "upgrade"))
        return reject(400, "Connection header does not contain upgrade");
    const auto version = request.header("Sec-WebSocket-Version");
    if (!version || request.header_count("Sec-WebSocket-Version") != 1 || trim_ows(*version) != "13")
        return reject(426, "unsupported Sec-WebSocket-Version; this server speaks 13");
    const auto key = request.header("Sec-WebSocket-Key");
    if (!key) return reject(400, "missing Sec-WebSocket-Key header");
    if (request.header_count("Sec-WebSocket-Key") != 1) return reject(400, "duplicate Sec-WebSocket-Key header");
    if (!is_valid_client_key(*key)) return reject(400, "Sec-WebSocket-Key is not 16 bytes of base64");
    r.key = *key;
    return r;
}

/// The subprotocols the client offered, in its order. nullopt if the header is malformed.
inline std::optional<std::vector<std::string>> offered_subprotocols(const http_request& request) {
    return parse_token_list(request.header_list("Sec-WebSocket-Protocol"));
}

/// The first protocol of `supported` (the server's preference order) that the
/// client offered; empty if none.
inline std::string select_subprotocol(const std::vector<std::string>& offered,
                                      const std::vector<std::string>& supported) {
    for (const auto& s : supported)
        for (const auto& o : offered)
            if (o == s) return s; // subprotocol names are case-sensitive
    return {};
}

/// The extension offers of the request. nullopt if the header is malformed.
inline std::optional<std::vector<extension_offer>> offered_extensions(const http_request& request) {
    return parse_extensions(request.header_list("Sec-WebSocket-Extensions"));
}

/// The 101 response accepting the upgrade (RFC 6455 4.2.2).
/// @param key the request's Sec-WebSocket-Key (upgrade_check::key).
/// @param subprotocol one the client offered (select_subprotocol()), or empty.
/// @param extensions the negotiated Sec-WebSocket-Extensions value, or empty.
/// @param extra more fields, such as Set-Cookie; unsafe ones are left out.
inline std::string build_accept_response(std::string_view key, std::string_view subprotocol = {},
                                         std::string_view extensions = {}, const header_fields& extra = {}) {
    std::string out;
    out.reserve(160 + subprotocol.size() + extensions.size());
    out += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
    detail::append_field(out, "Sec-WebSocket-Accept", compute_accept_key(key));
    if (!subprotocol.empty()) detail::append_field(out, "Sec-WebSocket-Protocol", subprotocol);
    if (!extensions.empty()) detail::append_field(out, "Sec-WebSocket-Extensions", extensions);
    for (const auto& [name, value] : extra)
        detail::append_field(out, name, value);
    out += "\r\n";
    return out;
}

/// The response refusing an upgrade with `status`; 426 adds
/// Sec-WebSocket-Version: 13 (RFC 6455 4.4). The connection ends after it.
/// @param body plain text for the body; a final newline is added if missing.
inline std::string build_reject_response(int status, std::string_view body, header_fields extra = {}) {
    if (status == 426) extra.emplace_back("Sec-WebSocket-Version", "13");
    std::string text(body);
    if (!text.empty() && text.back() != '\n') text += '\n';
    return build_http_response(status, text, "text/plain; charset=utf-8", extra);
}

} // namespace duplex::handshake
