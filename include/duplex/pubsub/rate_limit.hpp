/// @file
/// Rate limits for publishes: the token buckets of duplex/server/rate_limit.hpp,
/// and what to do with a connection over its limit.
///
/// @code
///     // per connection, in its user data: duplex::pubsub::token_bucket bucket{10, 20};
///     if (!duplex::pubsub::enforce(c->data().bucket.try_take(), c, policy)) return;
///     rooms.publish(topic, msg.kind, msg.data);
/// @endcode
#pragma once

#include <duplex/frame/close_code.hpp>
#include <duplex/server/rate_limit.hpp>

#include <cstdint>
#include <string>

namespace duplex::pubsub {

using duplex::keyed_rate_limiter;
using duplex::token_bucket;

/// What happens to a message over the limit.
enum class limit_action : std::uint8_t {
    drop,        ///< ignore it silently
    reply_error, ///< ignore it and send the connection an error message
    close,       ///< close the connection with 1008 (policy violation)
};

/// What enforce() does with a connection over its limit.
struct limit_policy {
    limit_action action = limit_action::reply_error;                ///< drop, reply with error_reply, or close
    std::string error_reply = R"({"error":"rate limit exceeded"})"; ///< text message for reply_error
};

/// Act on a limit check's outcome for connection `c`. Returns `allowed`, so
/// `if (!enforce(bucket.try_take(), c, policy)) return;` reads naturally.
/// @param c a pointer to a connection (send_text() and close() are called
/// through it); used only when `allowed` is false.
/// @par Thread safety
/// As the connection's send_text() and close(): any thread.
template <class ConnectionPtr>
bool enforce(bool allowed, const ConnectionPtr& c, const limit_policy& policy) {
    if (allowed) return true;
    switch (policy.action) {
    case limit_action::drop: break;
    case limit_action::reply_error: c->send_text(policy.error_reply); break;
    case limit_action::close: c->close(close_code::policy_violation, "rate limit exceeded"); break;
    }
    return false;
}

} // namespace duplex::pubsub
