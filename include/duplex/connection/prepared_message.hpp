/// @file
/// A message framed once and sent to many connections (broadcast, pub/sub).
#pragma once

#include <duplex/connection/message.hpp>
#include <duplex/frame/frame_header.hpp>
#include <duplex/protocol/extension.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duplex {

/// An immutable message with its server-role frames, shared by every connection
/// it is sent to (basic_connection::send(prepared)). The uncompressed frame is
/// built once at construction. For connections whose extension encodes without
/// per-connection state (permessage-deflate without server context takeover),
/// the encoded frame is built once per distinct set of parameters, on first use,
/// by whichever thread sends first. Connections with context takeover compress
/// the payload themselves, because their output depends on earlier messages
/// (RFC 7692 7.1.1).
///
/// @par Thread safety
/// Immutable but for the cache of encoded frames, which a mutex guards: every
/// member function may be called from any thread.
class prepared_message {
public:
    /// A complete frame (header and payload), shared by the connections it is queued on.
    using frame_ptr = std::shared_ptr<const std::string>;

    /// Frame `payload` (copied) as a message of `kind`. `compress` false never
    /// compresses it (e.g. already-compressed media). Text is not checked for
    /// UTF-8, and servers queue the shared frame as is: pass valid UTF-8 only
    /// (RFC 6455 8.1).
    prepared_message(message_kind kind, std::string_view payload, bool compress = true)
        : kind_(kind), compress_(compress), plain_(make_frame(kind, 0, payload.data(), payload.size())),
          header_size_(plain_->size() - payload.size()) {}

    /// A shared prepared_message, as basic_connection::send() takes it.
    static std::shared_ptr<const prepared_message> make(message_kind kind, std::string_view payload,
                                                        bool compress = true) {
        return std::make_shared<const prepared_message>(kind, payload, compress);
    }
    /// A shared text message, compressed where negotiated; see make().
    static std::shared_ptr<const prepared_message> text(std::string_view payload) {
        return make(message_kind::text, payload);
    }
    /// A shared binary message, compressed where negotiated; see make().
    static std::shared_ptr<const prepared_message> binary(std::string_view payload) {
        return make(message_kind::binary, payload);
    }

    /// Text or binary.
    message_kind kind() const noexcept { return kind_; }
    /// False when the message is never compressed.
    bool compress() const noexcept { return compress_; }
    /// The payload as given, uncompressed (a view into plain_frame()).
    std::string_view payload() const noexcept { return std::string_view(*plain_).substr(header_size_); }
    /// The unmasked, uncompressed frame.
    const frame_ptr& plain_frame() const noexcept { return plain_; }

    /// The frame to queue on a server connection whose negotiated extension is
    /// `ext` (null: none), or null when that connection must encode the payload
    /// itself (ext->shared_encoding_key() is 0). The first call for a key
    /// encodes the payload, under the lock; later calls share that frame.
    frame_ptr frame_for(const protocol::extension* ext) const {
        if (!ext || !compress_) return plain_;
        const std::uint64_t key = ext->shared_encoding_key();
        if (key == 0) return nullptr;
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto& [k, f] : encoded_)
            if (k == key) return f;
        std::string body;
        const auto* data = reinterpret_cast<const std::uint8_t*>(plain_->data() + header_size_);
        const std::uint8_t rsv = ext->encode_shared(data, plain_->size() - header_size_, body);
        frame_ptr f = rsv ? make_frame(kind_, rsv, body.data(), body.size()) : plain_;
        if (rsv) ++encodings_;
        encoded_.emplace_back(key, f);
        return f;
    }

    /// How many times the payload was encoded by an extension so far.
    std::size_t encodings() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return encodings_;
    }

private:
    static frame_ptr make_frame(message_kind kind, std::uint8_t rsv, const char* data, std::size_t size) {
        auto out = std::make_shared<std::string>();
        frame::append_unmasked_frame(protocol::opcode_of(kind), rsv, std::string_view(data, size), *out);
        return out;
    }

    message_kind kind_;
    bool compress_;
    frame_ptr plain_;
    std::size_t header_size_;
    mutable std::mutex mutex_;
    mutable std::vector<std::pair<std::uint64_t, frame_ptr>> encoded_;
    mutable std::size_t encodings_ = 0;
};

} // namespace duplex
