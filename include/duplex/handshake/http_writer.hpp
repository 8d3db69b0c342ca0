/// @file
/// Writing HTTP/1.1 responses and requests for the handshake, safely: header
/// names and values that could split the message (CR, LF, NUL) are refused.
#pragma once

#include <duplex/handshake/token_list.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duplex::handshake {

/// Extra header fields a user adds to a request or response.
using header_fields = std::vector<std::pair<std::string, std::string>>;

/// True if `value` can be sent as a header value without splitting the
/// message: no control characters but HTAB, no DEL (RFC 7230 3.2).
constexpr bool is_safe_header_value(std::string_view value) noexcept {
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7F) return false;
    }
    return true;
}

/// The standard reason phrase for the statuses duplex sends; "Unknown" for others.
constexpr std::string_view status_reason(int status) noexcept {
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

namespace detail {
inline void append_field(std::string& out, std::string_view name, std::string_view value) {
    if (!is_token(name) || !is_safe_header_value(value)) return; // never split the message
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
}
} // namespace detail

/// A complete HTTP/1.1 response with a body. Adds Content-Length, and
/// Content-Type when `content_type` is not empty.
///
/// Fields of `extra` whose name is not a token or whose value is not
/// is_safe_header_value() are left out, never sent broken.
/// @param keep_alive false adds `Connection: close`: the connection ends after it.
inline std::string build_http_response(int status, std::string_view body,
                                       std::string_view content_type = "text/plain; charset=utf-8",
                                       const header_fields& extra = {}, bool keep_alive = false) {
    std::string out;
    out.reserve(128 + body.size());
    out += "HTTP/1.1 ";
    out += std::to_string(status);
    out += ' ';
    out += status_reason(status);
    out += "\r\n";
    if (!content_type.empty()) detail::append_field(out, "Content-Type", content_type);
    detail::append_field(out, "Content-Length", std::to_string(body.size()));
    if (!keep_alive) detail::append_field(out, "Connection", "close");
    for (const auto& [name, value] : extra)
        detail::append_field(out, name, value);
    out += "\r\n";
    out += body;
    return out;
}

} // namespace duplex::handshake
