/// @file
/// Parsed HTTP/1.1 requests and responses of the opening handshake.
#pragma once

#include <duplex/handshake/token_list.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duplex::handshake {

/// One header field; views into the message that owns it.
struct http_header {
    std::string_view name;  ///< as sent
    std::string_view value; ///< without surrounding whitespace
};

/// Header block shared by requests and responses. Holds the raw bytes it was
/// parsed from; names compare case-insensitively (RFC 7230 3.2).
class http_fields {
public:
    /// The number of header fields.
    std::size_t header_count() const noexcept { return fields_.size(); }

    /// The field at `i` (less than header_count()), in the order received.
    http_header header_at(std::size_t i) const noexcept {
        const auto& f = fields_[i];
        return {slice(f.name), slice(f.value)};
    }

    /// The first field with this name, if any.
    std::optional<std::string_view> header(std::string_view name) const noexcept {
        for (const auto& f : fields_)
            if (iequals(slice(f.name), name)) return slice(f.value);
        return std::nullopt;
    }

    /// Every field with this name, joined with ", " (RFC 7230 3.2.2).
    std::string header_list(std::string_view name) const {
        std::string joined;
        for (const auto& f : fields_) {
            if (!iequals(slice(f.name), name)) continue;
            if (!joined.empty()) joined += ", ";
            joined += slice(f.value);
        }
        return joined;
    }

    /// The number of fields with this name: more than one Host or
    /// Sec-WebSocket-Key makes a request invalid.
    std::size_t header_count(std::string_view name) const noexcept {
        std::size_t n = 0;
        for (const auto& f : fields_)
            if (iequals(slice(f.name), name)) ++n;
        return n;
    }

    /// True if any field with this name lists `token` (case-insensitive).
    bool header_has_token(std::string_view name, std::string_view token) const {
        for (const auto& f : fields_)
            if (iequals(slice(f.name), name) && list_contains_token(slice(f.value), token)) return true;
        return false;
    }

    /// The raw header block, start line included.
    std::string_view raw() const noexcept { return raw_; }

protected:
    /// @cond
    // Shared with http_request, http_response and the parser; not public API.
    struct range {
        std::uint32_t offset = 0, size = 0;
    };
    std::string_view slice(range r) const noexcept { return std::string_view(raw_).substr(r.offset, r.size); }

    // Offsets rather than views, so copies and moves stay valid.
    std::string raw_;
    struct field {
        range name, value;
    };
    std::vector<field> fields_;

    template <bool>
    friend class basic_http_parser;
    /// @endcond
};

/// An HTTP request line and header block (RFC 7230 3.1.1).
class http_request : public http_fields {
public:
    /// The method, such as "GET" (case-sensitive, RFC 7230 3.1.1).
    std::string_view method() const noexcept { return slice(method_); }
    /// The request target as sent, e.g. "/chat?room=1".
    std::string_view target() const noexcept { return slice(target_); }
    /// The target before '?'.
    std::string_view path() const noexcept {
        const auto t = target();
        return t.substr(0, t.find('?'));
    }
    /// The target after '?', without it; empty if there is none.
    std::string_view query() const noexcept {
        const auto t = target();
        const auto q = t.find('?');
        return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
    }
    /// The major version: 1 for HTTP/1.1.
    int version_major() const noexcept { return major_; }
    /// The minor version: 1 for HTTP/1.1.
    int version_minor() const noexcept { return minor_; }

private:
    range method_, target_;
    int major_ = 0, minor_ = 0;
    template <bool>
    friend class basic_http_parser;
};

/// An HTTP status line and header block (RFC 7230 3.1.2).
class http_response : public http_fields {
public:
    /// The three-digit status code; 101 accepts an upgrade.
    int status() const noexcept { return status_; }
    /// The reason phrase, possibly empty; informational only.
    std::string_view reason() const noexcept { return slice(reason_); }
    /// The major version: 1 for HTTP/1.1.
    int version_major() const noexcept { return major_; }
    /// The minor version: 1 for HTTP/1.1.
    int version_minor() const noexcept { return minor_; }

private:
    int status_ = 0;
    range reason_;
    int major_ = 0, minor_ = 0;
    template <bool>
    friend class basic_http_parser;
};

} // namespace duplex::handshake
