// Error codes reported by every layer of duplex, as std::error_code.
#pragma once

#include <string>
#include <system_error>

namespace duplex {

/// Errors raised by duplex itself. Peer protocol violations are reported as
/// close events carrying an RFC 6455 close code; these codes describe local
/// misuse and handshake or transport failures.
enum class error {
    success = 0,
    closed,                  ///< the connection is closed; nothing more can be sent
    message_in_progress,     ///< a fragmented outgoing message is unfinished
    no_message_in_progress,  ///< a continuation was sent without a started message
    control_frame_too_large, ///< ping, pong and close payloads are at most 125 bytes
    invalid_close_code,      ///< the code may not be sent on the wire (RFC 6455 7.4)
    invalid_close_reason,    ///< reason longer than 123 bytes or not UTF-8
    invalid_utf8,            ///< a text message that is not UTF-8
    message_too_big,         ///< over the configured size limit
    protocol_violation,      ///< the peer broke RFC 6455
    handshake_failed,        ///< the opening handshake was refused or malformed
    bad_response,            ///< the server's handshake response is not acceptable
    send_queue_full,         ///< the per-connection send queue is at its cap
    timeout,                 ///< a configured deadline passed
    connection_limit,        ///< the server refused the connection (limits)
    tls_failed,              ///< certificate or host name verification failed
    bad_url,                 ///< the URL could not be parsed
    send_dropped,            ///< the send queue is at its cap and queue_full_policy::drop dropped the message
};

namespace detail {
class error_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "duplex"; }
    std::string message(int value) const override {
        switch (static_cast<error>(value)) {
        case error::success: return "success";
        case error::closed: return "connection closed";
        case error::message_in_progress: return "a fragmented message is in progress";
        case error::no_message_in_progress: return "no fragmented message is in progress";
        case error::control_frame_too_large: return "control frame payload over 125 bytes";
        case error::invalid_close_code: return "close code not allowed on the wire";
        case error::invalid_close_reason: return "close reason too long or not UTF-8";
        case error::invalid_utf8: return "text is not valid UTF-8";
        case error::message_too_big: return "message too big";
        case error::protocol_violation: return "WebSocket protocol violation";
        case error::handshake_failed: return "WebSocket handshake failed";
        case error::bad_response: return "unacceptable handshake response";
        case error::send_queue_full: return "send queue full";
        case error::timeout: return "timed out";
        case error::connection_limit: return "connection limit reached";
        case error::tls_failed: return "TLS verification failed";
        case error::bad_url: return "malformed URL";
        case error::send_dropped: return "message dropped: send queue full";
        }
        return "unknown duplex error";
    }
};
} // namespace detail

/// The category of duplex::error values.
inline const std::error_category& error_category() noexcept {
    static const detail::error_category_impl instance;
    return instance;
}

inline std::error_code make_error_code(error e) noexcept {
    return {static_cast<int>(e), error_category()};
}

} // namespace duplex

template <>
struct std::is_error_code_enum<duplex::error> : std::true_type {};
