// A permessage-deflate receiver that decodes the way Chromium and Firefox do:
// one raw inflate stream for the whole connection, kept whatever context
// takeover was agreed; each compressed message is followed by 00 00 FF FF
// (RFC 7692 7.2.2) and inflated with Z_SYNC_FLUSH. A message that ends the
// DEFLATE stream (a block with BFINAL set) leaves the stream unable to take
// the next one: the browser fails the connection there (1002). This model
// fails at once, so every message must leave the stream open.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace duplex_test {

class browser_inflater {
public:
    /// `window_bits`: the window the sender agreed to compress with (9-15).
    explicit browser_inflater(int window_bits = 15) { ok_ = ::inflateInit2(&z_, -window_bits) == Z_OK; }
    ~browser_inflater() {
        if (ok_) ::inflateEnd(&z_);
    }
    browser_inflater(const browser_inflater&) = delete;
    browser_inflater& operator=(const browser_inflater&) = delete;

    /// The message carried by one compressed payload, or nullopt where a
    /// browser would fail the connection; `error()` then says why.
    std::optional<std::string> message(std::string_view payload) {
        if (!ok_) return fail("the inflater is unusable after an earlier failure");
        std::string input(payload);
        input.append("\x00\x00\xff\xff", 4);
        z_.next_in = reinterpret_cast<Bytef*>(input.data());
        z_.avail_in = static_cast<uInt>(input.size());
        std::string out;
        unsigned char chunk[16384];
        bool at_block_boundary = false;
        for (;;) {
            z_.next_out = chunk;
            z_.avail_out = sizeof chunk;
            const int rc = ::inflate(&z_, Z_SYNC_FLUSH);
            out.append(reinterpret_cast<const char*>(chunk), sizeof chunk - z_.avail_out);
            if (rc == Z_STREAM_END) return fail("the message ended the DEFLATE stream (a final block)");
            if (rc == Z_BUF_ERROR) break; // no progress: all input taken, all output out
            if (rc != Z_OK) return fail(std::string("inflate: ") + (z_.msg ? z_.msg : "error"));
            // zlib reports 128 in data_type when it stopped at a block boundary.
            at_block_boundary = (z_.data_type & 128) != 0;
            if (z_.avail_in == 0 && z_.avail_out != 0) break;
        }
        if (z_.avail_in != 0) return fail("input left over after the message");
        // With the tail, the stream must stand at a block boundary, ready for the next message.
        if (!at_block_boundary) return fail("the message did not end where a DEFLATE block does");
        return out;
    }

    const std::string& error() const noexcept { return error_; }

private:
    std::nullopt_t fail(std::string why) {
        if (ok_) ::inflateEnd(&z_);
        ok_ = false;
        error_ = std::move(why);
        return std::nullopt;
    }

    z_stream z_{};
    bool ok_ = false;
    std::string error_;
};

} // namespace duplex_test
