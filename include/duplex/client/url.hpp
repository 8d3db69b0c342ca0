/// @file
/// Parsing the ws://, wss:// and ws+unix: URLs basic_client::connect() takes
/// (RFC 6455 3), into what the connect and the handshake need.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace duplex {

/// A parsed WebSocket URL (see parse_url()). Nothing is percent-decoded or
/// case-folded: host and target are sent as written.
struct url {
    bool secure = false;      ///< wss (or https): the connection needs a TLS transport
    bool unix_socket = false; ///< ws+unix: `host` is then the socket path
    std::string host;         ///< without IPv6 brackets
    std::uint16_t port = 0;   ///< the URL's port, else 80 (ws) or 443 (wss); 0 for ws+unix
    std::string target = "/"; ///< path and query, starting with '/'

    /// The Host header value (RFC 6455 4.1): the host, bracketed if IPv6, with
    /// the port unless it is the scheme's default; "localhost" for ws+unix.
    std::string host_header() const {
        if (unix_socket) return "localhost";
        std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
        if (port != (secure ? 443 : 80)) h += ":" + std::to_string(port);
        return h;
    }
};

/// Parse `ws://host[:port][/path][?query]`, `wss://...`, `[::1]` hosts, and
/// `ws+unix:/path/to.sock[:/request/path]` (also `ws+unix:///path/to.sock`).
/// http:// and https:// are read as ws:// and wss://. Outside ws+unix a
/// fragment is dropped (it is never sent, RFC 6455 3). Schemes are case-sensitive.
/// @return the URL, or std::nullopt for another scheme, userinfo (`user@`),
/// an empty host, a port that is not a number up to 65535, or a ws+unix
/// request path that does not start with '/'. basic_client::connect()
/// reports those as error::bad_url.
inline std::optional<url> parse_url(std::string_view text) {
    url u;
    const auto scheme_end = text.find("://");
    std::string_view scheme;
    std::string_view rest;
    if (text.substr(0, 8) == "ws+unix:") {
        u.unix_socket = true;
        rest = text.substr(8);
        if (rest.substr(0, 2) == "//") rest.remove_prefix(2);
        const auto colon = rest.find(':');
        u.host = std::string(rest.substr(0, colon));
        if (colon != std::string_view::npos) u.target = std::string(rest.substr(colon + 1));
        if (u.host.empty() || u.target.empty() || u.target[0] != '/') return std::nullopt;
        return u;
    }
    if (scheme_end == std::string_view::npos) return std::nullopt;
    scheme = text.substr(0, scheme_end);
    rest = text.substr(scheme_end + 3);
    if (scheme == "ws" || scheme == "http")
        u.secure = false;
    else if (scheme == "wss" || scheme == "https")
        u.secure = true;
    else
        return std::nullopt;
    const auto path_start = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, path_start);
    if (path_start != std::string_view::npos) {
        std::string_view target = rest.substr(path_start);
        target = target.substr(0, target.find('#')); // fragments are never sent (RFC 6455 3)
        u.target = target.empty() || target[0] != '/' ? "/" + std::string(target) : std::string(target);
    }
    if (authority.find('@') != std::string_view::npos) return std::nullopt; // no userinfo
    std::string_view port_text;
    if (!authority.empty() && authority[0] == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        u.host = std::string(authority.substr(1, close - 1));
        const auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') return std::nullopt;
            port_text = after.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        u.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (u.host.empty()) return std::nullopt;
    u.port = u.secure ? 443 : 80;
    if (!port_text.empty()) {
        unsigned long value = 0;
        for (char c : port_text) {
            if (c < '0' || c > '9') return std::nullopt;
            value = value * 10 + static_cast<unsigned long>(c - '0');
            if (value > 65535) return std::nullopt;
        }
        u.port = static_cast<std::uint16_t>(value);
    }
    return u;
}

} // namespace duplex
