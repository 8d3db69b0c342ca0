/// @file
/// The hook through which a negotiated extension (e.g. permessage-deflate)
/// transforms message payloads in both directions (RFC 6455 9).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace duplex::protocol {

/// Where an extension writes decoded or encoded bytes.
class byte_sink {
public:
    /// Append `size` bytes at `data` to what was written so far.
    virtual void write(const std::uint8_t* data, std::size_t size) = 0;

protected:
    ~byte_sink() = default;
};

/// An extension negotiated for one connection. The session calls it for every
/// data message; control frames are never passed through it.
///
/// A decode() error fails the connection with 1007, too_big with 1009.
/// @par Thread safety
/// The thread that drives the session calls it; only encode_shared() may run elsewhere.
class extension {
public:
    virtual ~extension() = default;

    /// The RSV bits this extension may set on frames (e.g. RSV1 for deflate).
    virtual std::uint8_t rsv_bits() const noexcept = 0;

    /// The outcome of decode().
    enum class decode_status {
        ok,      ///< decoded; the message may go on
        too_big, ///< the message decodes past `limit`
        error    ///< the data cannot be decoded
    };

    /// Decode part of a received message whose first frame carried `rsv`.
    /// `fin` is true for the last part. Writes at most `limit` bytes to `out`
    /// in total for the message and returns too_big past it (RFC 7692 bombs).
    virtual decode_status decode(const std::uint8_t* data, std::size_t size, bool fin, std::size_t limit,
                                 byte_sink& out) = 0;

    /// Whether decode() applies to a message whose first frame has these RSV bits.
    virtual bool claims_message(std::uint8_t rsv) const noexcept { return (rsv & rsv_bits()) != 0; }

    /// Encode a whole outgoing message. Returns the RSV bits to set on its first
    /// frame, or 0 to send `data` unchanged (whatever `out` then holds is ignored).
    virtual std::uint8_t encode(const std::uint8_t* data, std::size_t size, std::string& out) = 0;

    /// Non-zero when encode() output depends only on the input and this key (no
    /// state carried between messages, e.g. deflate without context takeover):
    /// connections whose extensions report the same key can share one encoding
    /// of a broadcast message (see prepared_message). 0: encode per connection.
    virtual std::uint64_t shared_encoding_key() const noexcept { return 0; }

    /// Encode like encode() without touching this connection's state, so it may
    /// run on any thread. Called only when shared_encoding_key() is non-zero.
    virtual std::uint8_t encode_shared(const std::uint8_t* /*data*/, std::size_t /*size*/, std::string& /*out*/) const {
        return 0;
    }
};

} // namespace duplex::protocol
