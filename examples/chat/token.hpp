// Signed login tokens for the chat example: "name.expiry.signature", where
// expiry is a Unix time in seconds and signature is HMAC-SHA256(secret,
// "name.expiry") in base64url without padding. Every part is URL-safe, so a
// token travels in a query string or a cookie as it is.
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace example::chat {

/// User names: 1-32 of [A-Za-z0-9_-] (no '.', which separates token parts).
inline bool is_valid_user_name(std::string_view name) {
    if (name.empty() || name.size() > 32) return false;
    for (const char ch : name) {
        const bool ok =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
        if (!ok) return false;
    }
    return true;
}

/// Base64url (RFC 4648 5) without padding.
inline std::string base64url(const unsigned char* data, std::size_t size) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((size * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    if (size - i == 1) {
        const std::uint32_t v = std::uint32_t{data[i]} << 16;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
    } else if (size - i == 2) {
        const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
    }
    return out;
}

/// Issues and verifies tokens with one secret.
class token_signer {
public:
    using clock = std::chrono::system_clock;

    /// `secret` empty: 32 random bytes, so tokens die with the process.
    token_signer(std::string secret, std::chrono::seconds lifetime) : secret_(std::move(secret)), lifetime_(lifetime) {
        if (secret_.empty()) {
            unsigned char random[32];
            if (RAND_bytes(random, sizeof random) != 1) throw std::runtime_error("RAND_bytes failed");
            secret_ = base64url(random, sizeof random);
        }
    }

    struct issued {
        std::string token;
        std::int64_t expires = 0; ///< Unix time, seconds
    };

    /// A token for a valid user name (see is_valid_user_name).
    issued issue(std::string_view name, clock::time_point now = clock::now()) const {
        const auto expires = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch() + lifetime_);
        std::string payload(name);
        payload += '.';
        payload += std::to_string(expires.count());
        return {payload + '.' + sign(payload), expires.count()};
    }

    /// The user name of a well-formed, correctly signed, unexpired token.
    std::optional<std::string> verify(std::string_view token, clock::time_point now = clock::now()) const {
        const auto last_dot = token.rfind('.');
        if (last_dot == std::string_view::npos) return std::nullopt;
        const auto payload = token.substr(0, last_dot);
        const auto signature = token.substr(last_dot + 1);
        const auto first_dot = payload.find('.');
        if (first_dot == std::string_view::npos) return std::nullopt;
        const auto name = payload.substr(0, first_dot);
        const auto expiry = payload.substr(first_dot + 1);
        if (!is_valid_user_name(name) || expiry.empty() || expiry.size() > 18) return std::nullopt;
        std::int64_t expires = 0;
        for (const char ch : expiry) {
            if (ch < '0' || ch > '9') return std::nullopt;
            expires = expires * 10 + (ch - '0');
        }
        // Check the signature before anything the signature vouches for; the
        // comparison takes the same time wherever the first difference is.
        const std::string expected = sign(payload);
        if (signature.size() != expected.size() ||
            CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0)
            return std::nullopt;
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
        if (seconds >= expires) return std::nullopt;
        return std::string(name);
    }

private:
    std::string sign(std::string_view payload) const {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        if (!HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
                  reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), digest, &length))
            throw std::runtime_error("HMAC-SHA256 failed");
        return base64url(digest, length);
    }

    std::string secret_;
    std::chrono::seconds lifetime_;
};

} // namespace example::chat
