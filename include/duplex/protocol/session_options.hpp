/// @file
/// Settings of a sans-I/O session: limits and behaviour, each with a safe default.
#pragma once

#include <cstddef>

namespace duplex::protocol {

/// Limits and behaviour of a session. The defaults are safe for an untrusted
/// peer; a limit passed fails the connection with the close code noted.
struct session_options {
    /// Largest message delivered, counted after decompression -> close 1009.
    std::size_t max_message_size = 16 * 1024 * 1024;
    /// Largest single frame payload accepted -> close 1009.
    std::size_t max_frame_size = 16 * 1024 * 1024;
    /// Most frames one message may be split into -> close 1009 (fragment floods).
    std::size_t max_fragments = 4096;
    /// Answer pings with pongs automatically (RFC 6455 5.5.2).
    bool auto_pong = true;
    /// Deliver data messages in parts as frames arrive (event::message_part)
    /// instead of reassembling them; max_message_size then bounds each message
    /// but memory stays bounded by the read size.
    bool streaming = false;
    /// Check text messages for UTF-8 (RFC 6455 8.1). Only turn off for trusted peers.
    bool validate_utf8 = true;
};

} // namespace duplex::protocol
