/// @file
/// Error codes reported by every layer of duplex, as duplex::error_code, and the
/// conditions they can be compared with.
///
/// @code
///     if (ec == duplex::error::send_queue_full) ...       // this exact error
///     if (ec == duplex::condition::tls_failed) ...        // any error of that kind
/// @endcode
#pragma once

#include <duplex/config/system_error.hpp>

#include <cstring>
#include <string>

namespace duplex {

/// Errors raised by duplex itself. A peer's protocol violation is not an
/// error code: the connection closes with the RFC 6455 close code (1002,
/// 1007, 1009, ...) and reports it in its close_info. These codes describe
/// local misuse (a send that cannot be made) and a connection's own failures.
enum class error {
    success = 0,             ///< not an error: the value of a default error_code
    closed,                  ///< the connection is closed; nothing more can be sent
    message_in_progress,     ///< a fragmented outgoing message is unfinished
    control_frame_too_large, ///< ping, pong and close payloads are at most 125 bytes (RFC 6455 5.5)
    invalid_close_code,      ///< the code may not be sent on the wire (RFC 6455 7.4)
    invalid_close_reason,    ///< reason longer than 123 bytes or not UTF-8 (RFC 6455 5.5.1)
    invalid_utf8,            ///< a text message that is not UTF-8 (RFC 6455 5.6)
    handshake_failed,        ///< the server refused the opening handshake (a status other than 101)
    bad_response,            ///< the server's 101 does not complete the handshake (RFC 6455 4.1)
    send_queue_full,         ///< the per-connection send queue is at its cap (queue_full_policy::fail)
    timeout,                 ///< a configured deadline passed (connect, handshake, close, keepalive pong)
    bad_url,                 ///< the URL could not be parsed, or a proxy cannot carry it
    send_dropped,            ///< the send queue is at its cap and queue_full_policy::drop dropped the message
};

/// What a caller usually wants to know of an error_code, whichever layer or
/// library produced it: compare with `ec == duplex::condition::tls_failed`.
/// Each duplex::error but success, timeout and bad_url belongs to one
/// condition; of other libraries' codes, only Asio's TLS ones (OpenSSL's
/// reasons, a stream truncated) belong to one, tls_failed.
enum class condition {
    handshake_failed = 1, ///< the opening handshake did not complete: refused, or a 101 that does not fit
    send_failed,          ///< a send or close was not made: closed, in the wrong state, or an invalid argument
    send_queue_full,      ///< a message was not queued because the send queue is at its cap (fail or drop)
    tls_failed,           ///< the TLS layer failed: certificate or host name verification, or the TLS handshake
};

namespace detail {
class error_category_impl final : public DUPLEX_SYSTEM_NAMESPACE::error_category {
public:
    const char* name() const noexcept override { return "duplex"; }
    std::string message(int value) const override {
        switch (static_cast<error>(value)) {
        case error::success: return "success";
        case error::closed: return "connection closed";
        case error::message_in_progress: return "a fragmented message is in progress";
        case error::control_frame_too_large: return "control frame payload over 125 bytes";
        case error::invalid_close_code: return "close code not allowed on the wire";
        case error::invalid_close_reason: return "close reason too long or not UTF-8";
        case error::invalid_utf8: return "text is not valid UTF-8";
        case error::handshake_failed: return "WebSocket handshake failed";
        case error::bad_response: return "unacceptable handshake response";
        case error::send_queue_full: return "send queue full";
        case error::timeout: return "timed out";
        case error::bad_url: return "malformed URL";
        case error::send_dropped: return "message dropped: send queue full";
        }
        return "unknown duplex error";
    }
    error_condition default_error_condition(int value) const noexcept override;
};

class condition_category_impl final : public DUPLEX_SYSTEM_NAMESPACE::error_category {
public:
    const char* name() const noexcept override { return "duplex.condition"; }
    std::string message(int value) const override {
        switch (static_cast<condition>(value)) {
        case condition::handshake_failed: return "WebSocket handshake failed";
        case condition::send_failed: return "send failed";
        case condition::send_queue_full: return "send queue full";
        case condition::tls_failed: return "TLS failed";
        }
        return "unknown duplex condition";
    }
    bool equivalent(const error_code& code, int value) const noexcept override;
};
} // namespace detail

/// The category of duplex::error values; its name() is "duplex".
inline const DUPLEX_SYSTEM_NAMESPACE::error_category& error_category() noexcept {
    static const detail::error_category_impl instance;
    return instance;
}

/// The category of duplex::condition values; its name() is "duplex.condition".
inline const DUPLEX_SYSTEM_NAMESPACE::error_category& condition_category() noexcept {
    static const detail::condition_category_impl instance;
    return instance;
}

/// An error_code for `e`; what makes `error_code ec = error::closed;` and
/// `ec == error::closed` work.
inline error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/// An error_condition for `c`; what makes `ec == condition::send_failed` work.
inline error_condition make_error_condition(condition c) noexcept {
    return {static_cast<int>(c), condition_category()};
}

namespace detail {
inline error_condition error_category_impl::default_error_condition(int value) const noexcept {
    switch (static_cast<error>(value)) {
    case error::handshake_failed:
    case error::bad_response: return make_error_condition(condition::handshake_failed);
    case error::closed:
    case error::message_in_progress:
    case error::control_frame_too_large:
    case error::invalid_close_code:
    case error::invalid_close_reason:
    case error::invalid_utf8: return make_error_condition(condition::send_failed);
    case error::send_queue_full:
    case error::send_dropped: return make_error_condition(condition::send_queue_full);
    default: return {value, *this};
    }
}

inline bool condition_category_impl::equivalent(const error_code& code, int value) const noexcept {
    // OpenSSL's reasons come in Asio's SSL category (duplex's TLS stream and
    // asio::ssl::stream alike); a TLS stream cut short is "asio.ssl.stream".
    if (static_cast<condition>(value) == condition::tls_failed)
        return std::strcmp(code.category().name(), "asio.ssl") == 0 ||
               std::strcmp(code.category().name(), "asio.ssl.stream") == 0;
    return code.category().default_error_condition(code.value()) == error_condition(value, *this);
}
} // namespace detail

} // namespace duplex

/// @cond
// Registered with the error_code of the Asio flavour (std or boost::system).
template <>
struct DUPLEX_SYSTEM_NAMESPACE::is_error_code_enum<duplex::error> : std::true_type {};
template <>
struct DUPLEX_SYSTEM_NAMESPACE::is_error_condition_enum<duplex::condition> : std::true_type {};
/// @endcond
