// duplex: requires zlib
// permessage-deflate (RFC 7692) through zlib, plugged into the session's
// extension hook. Link duplex::deflate.
//
// Memory per connection: a zlib deflate stream costs about 2^(window+2) +
// 2^(memLevel+9) bytes (256 KiB at 15/8), an inflate stream 2^window + ~7 KiB
// (39 KiB at 15). A stream whose side has no context takeover exists only
// while a message is being compressed or decompressed.
#pragma once

#include <duplex/extensions/deflate_negotiation.hpp>
#include <duplex/protocol/extension.hpp>

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

namespace duplex::extensions {

/// One connection's permessage-deflate state.
class permessage_deflate final : public protocol::extension {
public:
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
        if (!inflater_ && !init_inflater()) return decode_status::error;
        if (decoded_ == 0 && !in_message_) in_message_ = true;
        auto status = inflate_into(data, size, limit, out);
        if (status != decode_status::ok) return finish_inflate(status);
        if (fin) {
            // RFC 7692 7.2.2: append the 4 octets removed by the sender.
            static const std::uint8_t tail[4] = {0x00, 0x00, 0xFF, 0xFF};
            status = inflate_into(tail, sizeof tail, limit, out);
            return finish_inflate(status);
        }
        return decode_status::ok;
    }

    std::uint8_t encode(const std::uint8_t* data, std::size_t size, std::string& out) override {
        if (size < options_.threshold) return 0;
        if (!deflater_ && !init_deflater(deflater_)) return 0;
        const bool ok = compress(*deflater_, data, size, out);
        if (!ok || agreement_.send_no_context_takeover) release_deflater();
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
        stream_ptr z{nullptr, z_deleter{true}};
        if (!init_deflater(z)) return 0;
        return compress(*z, data, size, out) ? 0x40 : 0;
    }

    const deflate_agreement& agreement() const noexcept { return agreement_; }
    /// True while zlib streams are allocated (for memory accounting and tests).
    bool holds_deflater() const noexcept { return static_cast<bool>(deflater_); }
    bool holds_inflater() const noexcept { return static_cast<bool>(inflater_); }

private:
    decode_status inflate_into(const std::uint8_t* data, std::size_t size, std::size_t limit,
                               protocol::byte_sink& out) {
        inflater_->next_in = const_cast<Bytef*>(data);
        inflater_->avail_in = static_cast<uInt>(size);
        std::uint8_t chunk[16 * 1024];
        do {
            inflater_->next_out = chunk;
            inflater_->avail_out = sizeof chunk;
            const int rc = ::inflate(inflater_.get(), Z_SYNC_FLUSH);
            if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) return decode_status::error;
            const std::size_t produced = sizeof chunk - inflater_->avail_out;
            // Checked per 16 KiB chunk: a bomb stops within one chunk of the limit.
            if (decoded_ + produced > limit) return decode_status::too_big;
            decoded_ += produced;
            if (produced) out.write(chunk, produced);
            if (rc == Z_BUF_ERROR || rc == Z_STREAM_END) break;
        } while (inflater_->avail_in > 0 || inflater_->avail_out == 0);
        return decode_status::ok;
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
};

} // namespace duplex::extensions

#include <duplex/client.hpp>
#include <duplex/handlers.hpp>

namespace duplex::extensions {

/// A server endpoint's negotiator: `endpoint.negotiate_extensions = deflate_negotiator();`
inline extension_negotiator deflate_negotiator(deflate_options options = {}) {
    return [options](const std::vector<handshake::extension_offer>& offers,
                     std::string& header) -> std::shared_ptr<protocol::extension> {
        const auto agreement = negotiate_deflate_offer(offers, options, header);
        if (!agreement) return nullptr;
        return std::make_shared<permessage_deflate>(*agreement, options);
    };
}

/// Offer permessage-deflate from a client and check the server's answer.
inline void enable_deflate(client_options& client, deflate_options options = {}) {
    client.extensions = make_deflate_offer(options);
    client.accept_extensions = [options](const std::vector<handshake::extension_offer>& accepted,
                                         std::string& reason) -> std::shared_ptr<protocol::extension> {
        if (accepted.size() != 1) {
            reason = "server accepted more than the one extension offered";
            return nullptr;
        }
        const auto agreement = accept_deflate_response(accepted.front(), options);
        if (!agreement) {
            reason = "server's permessage-deflate parameters could not have been asked for";
            return nullptr;
        }
        return std::make_shared<permessage_deflate>(*agreement, options);
    };
}

} // namespace duplex::extensions
