/// @file
/// Incremental parser for the HTTP/1.1 messages of the opening handshake.
/// Accepts input in any chunking; every limit answers with the HTTP status a
/// server should send (RFC 7230, RFC 6585 for 431).
#pragma once

#include <duplex/handshake/http_message.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace duplex::handshake {

/// Limits on the header block. Defaults follow common servers (8 KiB, 100 fields).
struct http_limits {
    std::size_t max_header_bytes = 8 * 1024; ///< whole block incl. start line -> 431
    std::size_t max_headers = 100;           ///< header fields -> 431
    std::size_t max_start_line = 4 * 1024;   ///< request line, CRLF excluded -> 414; status line -> 400
};

/// Outcome of one feed() call.
struct parse_result {
    /// The values of `status`.
    enum status_type : std::uint8_t {
        need_more,        ///< the header block is incomplete: feed more
        done,             ///< the header block is parsed; get() the message
        error             ///< the input is not acceptable; see http_status and reason
    } status = need_more; ///< where parsing stands
    /// Bytes of the input this call consumed. After `done`, the rest of the
    /// input (e.g. a frame sent right behind the handshake) belongs to the session.
    std::size_t consumed = 0;
    int http_status = 0;     ///< with error: 400, 414 or 431
    std::string_view reason; ///< with error: a short explanation (static text)
};

/// Parses one HTTP request (IsRequest) or response from a byte stream.
///
/// Scanning is a single linear pass; bytes are copied once into the message.
/// Only the header block is read: a body is not parsed. Strict where laxness
/// invites request smuggling (RFC 9112 2.2, 5.2): bare CR or LF, obsolete
/// line folding and control characters in values are errors.
/// @tparam IsRequest true for a request_parser, false for a response_parser.
template <bool IsRequest>
class basic_http_parser {
public:
    /// http_request or http_response.
    using message_type = std::conditional_t<IsRequest, http_request, http_response>;

    /// A parser for one message within `limits`.
    explicit basic_http_parser(http_limits limits = {}) : limits_(limits) {}

    /// Feed the next bytes. Returns done once the blank line ending the
    /// header block was seen; `consumed` says how much of `data` was used.
    /// After done or error, every call returns that again and consumes nothing.
    parse_result feed(const char* data, std::size_t size) {
        parse_result result;
        if (state_ != state_type::reading) {
            result.status = state_ == state_type::done ? parse_result::done : parse_result::error;
            result.http_status = error_status_;
            result.reason = error_reason_;
            return result;
        }
        std::size_t i = 0;
        for (; i < size; ++i) {
            // Every byte of the block counts, the final CRLF included.
            if (message_.raw_.size() + i + 1 > limits_.max_header_bytes)
                return fail(result, 431, "header block too large");
            const char c = data[i];
            // A CR belongs to a line end only (RFC 9112 2.2: a bare CR is invalid).
            if (last_ == '\r' && c != '\n') return fail(result, 400, "bare CR in header block");
            if (c == '\n') {
                // Lines end in CRLF only; a bare LF invites request smuggling.
                if (last_ != '\r') return fail(result, 400, "bare LF in header block");
                if (!start_line_done_) {
                    start_line_done_ = true;
                } else if (line_length_ > 1 && ++header_lines_ > limits_.max_headers) {
                    return fail(result, 431, "too many header fields");
                }
                if (line_length_ == 1) { // "\r\n" alone: end of the block
                    ++i;
                    message_.raw_.append(data, i);
                    result.consumed = i;
                    return finish(result);
                }
                line_length_ = 0;
            } else {
                ++line_length_;
                // The limit is on the line without its CRLF, so its CR does not count.
                if (!start_line_done_ && line_length_ > limits_.max_start_line && c != '\r')
                    return fail(result, IsRequest ? 414 : 400,
                                IsRequest ? "request line too long" : "status line too long");
            }
            last_ = c;
        }
        message_.raw_.append(data, size);
        result.consumed = size;
        return result;
    }

    /// Feed the next bytes; see the overload above.
    parse_result feed(std::string_view bytes) { return feed(bytes.data(), bytes.size()); }

    /// True once feed() returned done.
    bool done() const noexcept { return state_ == state_type::done; }

    /// The parsed message; complete once feed() returned done.
    const message_type& get() const noexcept { return message_; }
    /// Move the parsed message out; get() must not be used again until reset().
    message_type release() { return std::move(message_); }

    /// Start over for the next message, with the same limits.
    void reset() { *this = basic_http_parser(limits_); }

private:
    enum class state_type : std::uint8_t { reading, done, failed };
    using range = typename http_fields::range;

    parse_result fail(parse_result& r, int status, std::string_view reason) {
        state_ = state_type::failed;
        error_status_ = status;
        error_reason_ = reason;
        r.status = parse_result::error;
        r.http_status = status;
        r.reason = reason;
        return r;
    }

    static range make_range(std::size_t offset, std::size_t size) noexcept {
        return {static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(size)};
    }

    // Parse "HTTP/x.y" at [pos, pos+8).
    static bool parse_version(std::string_view s, int& major, int& minor) noexcept {
        if (s.size() != 8 || s.substr(0, 5) != "HTTP/" || s[6] != '.') return false;
        if (s[5] < '0' || s[5] > '9' || s[7] < '0' || s[7] > '9') return false;
        major = s[5] - '0';
        minor = s[7] - '0';
        return true;
    }

    bool parse_start_line(std::string_view line) {
        auto& m = message_;
        if constexpr (IsRequest) {
            const auto sp1 = line.find(' ');
            if (sp1 == std::string_view::npos || sp1 == 0) return false;
            const auto sp2 = line.find(' ', sp1 + 1);
            if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return false;
            const auto method = line.substr(0, sp1);
            if (!is_token(method)) return false;
            const auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
            for (char c : target)
                if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return false;
            if (!parse_version(line.substr(sp2 + 1), m.major_, m.minor_)) return false;
            m.method_ = make_range(0, sp1);
            m.target_ = make_range(sp1 + 1, target.size());
        } else {
            // HTTP-version SP status-code SP reason-phrase
            if (line.size() < 12 || line[8] != ' ') return false;
            if (!parse_version(line.substr(0, 8), m.major_, m.minor_)) return false;
            int status = 0;
            for (std::size_t k = 9; k < 12; ++k) {
                if (line[k] < '0' || line[k] > '9') return false;
                status = status * 10 + (line[k] - '0');
            }
            if (line.size() > 12 && line[12] != ' ') return false;
            // reason-phrase = *( HTAB / SP / VCHAR / obs-text )
            for (std::size_t k = 13; k < line.size(); ++k) {
                const auto u = static_cast<unsigned char>(line[k]);
                if ((u < 0x20 && line[k] != '\t') || u == 0x7F) return false;
            }
            m.status_ = status;
            m.reason_ = line.size() > 13 ? make_range(13, line.size() - 13) : make_range(0, 0);
        }
        return true;
    }

    parse_result finish(parse_result& r) {
        const std::string_view raw = message_.raw_;
        std::size_t pos = raw.find("\r\n");
        if (pos == std::string_view::npos || !parse_start_line(raw.substr(0, pos)))
            return fail(r, 400, IsRequest ? "malformed request line" : "malformed status line");
        pos += 2;
        message_.fields_.reserve(header_lines_);
        while (pos < raw.size()) {
            const auto eol = raw.find("\r\n", pos);
            if (eol == std::string_view::npos) return fail(r, 400, "malformed header line");
            if (eol == pos) break; // the blank line
            const auto line = raw.substr(pos, eol - pos);
            if (line.find('\n') != std::string_view::npos) return fail(r, 400, "bare LF in header block");
            if (is_ows(line[0])) return fail(r, 400, "obsolete line folding");
            const auto colon = line.find(':');
            if (colon == std::string_view::npos || colon == 0 || !is_token(line.substr(0, colon)))
                return fail(r, 400, "malformed header name");
            const auto value = trim_ows(line.substr(colon + 1));
            for (char c : value) {
                const auto u = static_cast<unsigned char>(c);
                if ((u < 0x20 && c != '\t') || u == 0x7F) return fail(r, 400, "control character in header");
            }
            const std::size_t value_offset =
                value.empty() ? pos + colon + 1 : static_cast<std::size_t>(value.data() - raw.data());
            message_.fields_.push_back({make_range(pos, colon), make_range(value_offset, value.size())});
            pos = eol + 2;
        }
        state_ = state_type::done;
        r.status = parse_result::done;
        return r;
    }

    http_limits limits_;
    message_type message_;
    state_type state_ = state_type::reading;
    bool start_line_done_ = false;
    std::size_t line_length_ = 0; // bytes in the current line, CR included
    std::size_t header_lines_ = 0;
    char last_ = 0;
    int error_status_ = 0;
    std::string_view error_reason_;
};

/// Parses a client's request: a WebSocket upgrade or plain HTTP.
using request_parser = basic_http_parser<true>;
/// Parses a server's response to the upgrade request.
using response_parser = basic_http_parser<false>;

} // namespace duplex::handshake
