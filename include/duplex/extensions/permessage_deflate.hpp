// duplex: requires zlib
/// @file
/// permessage-deflate (RFC 7692) through zlib, plugged into the session's
/// extension hook. Link duplex::deflate.
///
/// Memory per connection: a zlib deflate stream costs about 2^(window+2) +
/// 2^(memLevel+9) bytes (256 KiB at 15/8), an inflate stream 2^window + ~7 KiB
/// (39 KiB at 15). By default (no context takeover either way) a connection
/// holds neither between messages: the thread's compressor and decompressor
/// serve every connection, and only a fragmented message in progress has an
/// inflater of its own. With context takeover a side keeps its stream.
///
/// Every message we compress ends with a sync flush (an empty stored block,
/// whose 00 00 FF FF is removed), never with a final block, even without
/// context takeover where RFC 7692 7.2.3.3 would allow one: browsers keep one
/// inflater for the whole connection whatever was agreed, and a stream that
/// ended cannot take the next message.
#pragma once

#include <duplex/config/macros.hpp>

#if !DUPLEX_HAS_ZLIB
#error                                                                                                                 \
    "duplex/extensions/permessage_deflate.hpp needs zlib: link the CMake target duplex::deflate (or define DUPLEX_HAS_ZLIB=1 and link it yourself)"
#endif

#include <duplex/extensions/deflate_negotiation.hpp>
#include <duplex/protocol/extension.hpp>
#include <duplex/protocol/upgrade.hpp>

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace duplex::extensions {

namespace detail {
// Streams for messages without context takeover: a few per thread, each made
// for one parameter set (its key) and reset before each message. Every
// connection of the thread uses them, so they stay in the cache and none
// holds its own (a zlib compressor is about 256 KiB at window 15, memLevel 8).
// A message is compressed, or inflated when it came whole, in one call, so
// connections never interleave on a stream. A Slot has `int key = -1` and
// open(key), reuse() and close(); it stays at its address (zlib needs that).
template <class Slot>
class thread_slots {
public:
    thread_slots() = default;
    thread_slots(const thread_slots&) = delete;
    thread_slots& operator=(const thread_slots&) = delete;
    ~thread_slots() {
        for (auto& s : slots_)
            if (s.key >= 0) s.close();
    }
    Slot* get(int key) {
        for (auto& s : slots_)
            if (s.key == key) return s.reuse() ? &s : nullptr;
        auto& s = slots_[next_]; // a process rarely uses more than one parameter set
        next_ = (next_ + 1) % slots_.size();
        if (s.key >= 0) s.close();
        s.key = -1;
        if (!s.open(key)) return nullptr;
        s.key = key;
        return &s;
    }

private:
    std::array<Slot, 2> slots_;
    std::size_t next_ = 0;
};

// key: window bits << 8 | (level + 1) << 4 | memLevel
struct deflate_slot {
    z_stream z{};
    int key = -1;
    bool open(int k) {
        z = z_stream{};
        return ::deflateInit2(&z, ((k >> 4) & 0xF) - 1, Z_DEFLATED, -(k >> 8), k & 0xF, Z_DEFAULT_STRATEGY) == Z_OK;
    }
    bool reuse() { return ::deflateReset(&z) == Z_OK; }
    void close() { ::deflateEnd(&z); }
};

// key: window bits
struct inflate_slot {
    z_stream z{};
    int key = -1;
    bool open(int k) {
        z = z_stream{};
        return ::inflateInit2(&z, -k) == Z_OK;
    }
    bool reuse() { return ::inflateReset(&z) == Z_OK; }
    void close() { ::inflateEnd(&z); }
};

inline z_stream* thread_deflater(int window_bits, int level, int mem_level) {
    thread_local thread_slots<deflate_slot> slots;
    auto* s = slots.get(window_bits << 8 | (level + 1) << 4 | mem_level);
    return s ? &s->z : nullptr;
}

inline z_stream* thread_inflater(int window_bits) {
    thread_local thread_slots<inflate_slot> slots;
    auto* s = slots.get(window_bits);
    return s ? &s->z : nullptr;
}

} // namespace detail

/// One connection's permessage-deflate state, behind the protocol::extension hook.
///
/// Decoding stops with too_big once a message inflates past the session's
/// limit, checked every 16 KiB of output, so a small compressed message cannot
/// exhaust memory. Invalid compressed data is an error (the session closes 1007).
/// @par Thread safety
/// The connection's thread drives it; encode_shared() may run on any thread.
class permessage_deflate final : public protocol::extension {
public:
    /// The state for what the handshake agreed, with our own `options` (level, threshold).
    permessage_deflate(const deflate_agreement& agreement, const deflate_options& options)
        : agreement_(agreement), options_(options) {}
    ~permessage_deflate() override {
        release_deflater();
        release_inflater();
    }
    permessage_deflate(const permessage_deflate&) = delete;
    permessage_deflate& operator=(const permessage_deflate&) = delete;

    std::uint8_t rsv_bits() const noexcept override { return 0x40; } // RSV1 (RFC 7692 6)

    decode_status decode(const std::uint8_t* data, std::size_t size, bool fin, std::size_t limit,
                         protocol::byte_sink& out) override {
        if (fin && !in_message_ && !inflater_ && agreement_.receive_no_context_takeover) {
            // A whole message on its own: the thread's inflater, as for compression.
            // (Not libdeflate: it maps some invalid streams, e.g. the reserved
            // codes 286 and 287, to valid ones by design, and a peer's invalid
            // data must close with 1007 however it was framed and read.)
            z_stream* z = detail::thread_inflater(agreement_.receive_window_bits);
            if (!z) return decode_status::error;
            const auto status = inflate_message_end(*z, data, size, limit, out);
            decoded_ = 0;
            return status;
        }
        if (!inflater_ && !init_inflater()) return decode_status::error;
        in_message_ = true;
        if (!fin) return finish_inflate_if_failed(inflate_into(*inflater_, data, size, limit, out));
        return finish_inflate(inflate_message_end(*inflater_, data, size, limit, out));
    }

    std::uint8_t encode(const std::uint8_t* data, std::size_t size, std::string& out) override {
        if (size < options_.threshold) return 0;
        if (agreement_.send_no_context_takeover) return compress_fresh(data, size, out);
        if (!deflater_ && !init_deflater(deflater_)) return 0;
        const bool ok = compress(*deflater_, data, size, out);
        if (!ok) release_deflater();
        return ok ? 0x40 : 0;
    }

    /// Without context takeover every message is compressed from a fresh stream,
    /// so equal window, level, memory level and threshold give equal bytes.
    std::uint64_t shared_encoding_key() const noexcept override {
        if (!agreement_.send_no_context_takeover) return 0;
        const auto threshold =
            options_.threshold < (std::size_t{1} << 40) ? options_.threshold : (std::size_t{1} << 40);
        return 1u | static_cast<std::uint64_t>(agreement_.send_window_bits & 0xF) << 1 |
               static_cast<std::uint64_t>((options_.compression_level + 1) & 0xF) << 5 |
               static_cast<std::uint64_t>(options_.memory_level & 0xF) << 9 |
               static_cast<std::uint64_t>(threshold) << 13;
    }

    std::uint8_t encode_shared(const std::uint8_t* data, std::size_t size, std::string& out) const override {
        if (size < options_.threshold) return 0;
        return compress_fresh(data, size, out);
    }

    /// What the handshake agreed, from this side's point of view.
    const deflate_agreement& agreement() const noexcept { return agreement_; }
    /// True while this connection holds a zlib compressor (for memory accounting and tests).
    bool holds_deflater() const noexcept { return static_cast<bool>(deflater_); }
    /// True while this connection holds a zlib decompressor (for memory accounting and tests).
    bool holds_inflater() const noexcept { return static_cast<bool>(inflater_); }

private:
    // The last (or only) frame of a message, then the 4 octets the sender
    // removed (RFC 7692 7.2.2).
    decode_status inflate_message_end(z_stream& z, const std::uint8_t* data, std::size_t size, std::size_t limit,
                                      protocol::byte_sink& out) {
        const auto status = inflate_into(z, data, size, limit, out);
        if (status != decode_status::ok || stream_ended_) return status; // a final block needs no tail
        static const std::uint8_t tail[4] = {0x00, 0x00, 0xFF, 0xFF};
        const auto end = inflate_into(z, tail, sizeof tail, limit, out);
        if (end != decode_status::ok) return end;
        // With the tail, a well-formed message ends where a block does (zlib
        // sets 128 in data_type there). A message cut inside a block, or whose
        // final block runs on into the tail, is invalid, not silently short.
        return (z.data_type & 128) != 0 && !stream_ended_ ? decode_status::ok : decode_status::error;
    }

    decode_status inflate_into(z_stream& z, const std::uint8_t* data, std::size_t size, std::size_t limit,
                               protocol::byte_sink& out) {
        z.next_in = const_cast<Bytef*>(data);
        z.avail_in = static_cast<uInt>(size);
        stream_ended_ = false;
        std::uint8_t chunk[16 * 1024];
        do {
            z.next_out = chunk;
            z.avail_out = sizeof chunk;
            const int rc = ::inflate(&z, Z_SYNC_FLUSH);
            if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) return decode_status::error;
            const std::size_t produced = sizeof chunk - z.avail_out;
            // Checked per 16 KiB chunk: a bomb stops within one chunk of the limit.
            if (decoded_ + produced > limit) return decode_status::too_big;
            decoded_ += produced;
            if (produced) out.write(chunk, produced);
            if (rc == Z_STREAM_END) {
                // A block with BFINAL set (RFC 7692 7.2.3): the sender's
                // stream ended, so no window carries over; what follows, if
                // anything, is a new stream.
                if (::inflateReset(&z) != Z_OK) return decode_status::error;
                stream_ended_ = z.avail_in == 0;
                continue;
            }
            if (rc == Z_BUF_ERROR) break;
        } while (z.avail_in > 0 || z.avail_out == 0);
        return decode_status::ok;
    }

    decode_status finish_inflate_if_failed(decode_status status) {
        return status == decode_status::ok ? status : finish_inflate(status);
    }

    decode_status finish_inflate(decode_status status) {
        decoded_ = 0;
        in_message_ = false;
        if (status != decode_status::ok || agreement_.receive_no_context_takeover) release_inflater();
        return status;
    }

    struct z_deleter {
        bool deflater;
        void operator()(z_stream* z) const noexcept {
            if (deflater)
                ::deflateEnd(z);
            else
                ::inflateEnd(z);
            delete z;
        }
    };
    using stream_ptr = std::unique_ptr<z_stream, z_deleter>;

    bool init_deflater(stream_ptr& target) const {
        auto z = new z_stream{};
        if (::deflateInit2(z, options_.compression_level, Z_DEFLATED, -agreement_.send_window_bits,
                           options_.memory_level, Z_DEFAULT_STRATEGY) != Z_OK) {
            delete z;
            return false;
        }
        target = stream_ptr(z, z_deleter{true});
        return true;
    }

    // One message through `z`, ended with Z_SYNC_FLUSH on a byte boundary; the
    // trailing 00 00 FF FF is removed (RFC 7692 7.2.1).
    static bool compress(z_stream& z, const std::uint8_t* data, std::size_t size, std::string& out) {
        out.clear();
        z.next_in = const_cast<Bytef*>(data);
        z.avail_in = static_cast<uInt>(size);
        std::uint8_t chunk[16 * 1024];
        do {
            z.next_out = chunk;
            z.avail_out = sizeof chunk;
            const int rc = ::deflate(&z, Z_SYNC_FLUSH);
            if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
            out.append(reinterpret_cast<const char*>(chunk), sizeof chunk - z.avail_out);
        } while (z.avail_out == 0);
        // zlib flushes nothing for an empty message on a stream it already flushed;
        // the message is then the first byte of an empty stored block (RFC 7692 7.2.1).
        if (out.size() >= 4 && std::memcmp(out.data() + out.size() - 4, "\x00\x00\xff\xff", 4) == 0)
            out.resize(out.size() - 4);
        else if (out.empty())
            out.push_back('\0');
        return true;
    }
    // A message on its own (no context takeover), through the thread's
    // compressor. A message that would not get smaller goes as it is (RSV1
    // clear, RFC 7692 6): nothing ties it to the messages around it.
    std::uint8_t compress_fresh(const std::uint8_t* data, std::size_t size, std::string& out) const {
        z_stream* z =
            detail::thread_deflater(agreement_.send_window_bits, options_.compression_level, options_.memory_level);
        if (!z || !compress(*z, data, size, out)) return 0;
        return out.size() < size || size == 0 ? 0x40 : 0;
    }
    bool init_inflater() {
        auto z = new z_stream{};
        if (::inflateInit2(z, -agreement_.receive_window_bits) != Z_OK) {
            delete z;
            return false;
        }
        inflater_ = stream_ptr(z, z_deleter{false});
        return true;
    }
    void release_deflater() noexcept { deflater_.reset(); }
    void release_inflater() noexcept { inflater_.reset(); }

    deflate_agreement agreement_;
    deflate_options options_;
    stream_ptr deflater_{nullptr, z_deleter{true}};
    stream_ptr inflater_{nullptr, z_deleter{false}};
    std::size_t decoded_ = 0;
    bool in_message_ = false;
    bool stream_ended_ = false; // the last input ended exactly with a final block
};

/// A server's negotiator, for a route's negotiate_extensions or a
/// server_upgrade: accepts the first permessage-deflate offer it can honour
/// with `options` (RFC 7692 7.1) and gives that connection its
/// permessage_deflate state; offers it cannot honour leave the connection
/// uncompressed. Thread safety: the returned function may be called from any thread.
inline protocol::extension_negotiator deflate_negotiator(deflate_options options = {}) {
    return [options](const std::vector<handshake::extension_offer>& offers,
                     std::string& header) -> std::shared_ptr<protocol::extension> {
        const auto agreement = negotiate_deflate_offer(offers, options, header);
        if (!agreement) return nullptr;
        return std::make_shared<permessage_deflate>(*agreement, options);
    };
}

} // namespace duplex::extensions
