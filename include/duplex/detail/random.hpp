// Cryptographically secure random bytes for masking keys and handshake nonces
// (RFC 6455 5.3, 10.3): the kernel's CSPRNG, drawn in blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>

#if defined(__linux__)
#include <sys/random.h>
#endif

namespace duplex::detail {

// Keys come from the kernel CSPRNG (getrandom) in blocks of 64, so a client
// makes one system call per 64 frames rather than one per frame.
class random_pool {
public:
    void fill(std::uint8_t* out, std::size_t size) {
        while (size > 0) {
            if (pos_ == sizeof(pool_)) refill();
            const std::size_t n = size < sizeof(pool_) - pos_ ? size : sizeof(pool_) - pos_;
            std::memcpy(out, pool_ + pos_, n);
            std::memset(pool_ + pos_, 0, n); // used bytes never linger
            pos_ += n;
            out += n;
            size -= n;
        }
    }

private:
    void refill() {
        std::size_t filled = 0;
#if defined(__linux__)
        while (filled < sizeof(pool_)) {
            const ssize_t n = ::getrandom(pool_ + filled, sizeof(pool_) - filled, 0);
            if (n <= 0) break;
            filled += static_cast<std::size_t>(n);
        }
#endif
        if (filled < sizeof(pool_)) {
            std::random_device device; // the platform's secure source elsewhere
            for (; filled < sizeof(pool_); filled += 4) {
                const auto value = static_cast<std::uint32_t>(device());
                std::memcpy(pool_ + filled, &value, 4);
            }
        }
        pos_ = 0;
    }

    std::uint8_t pool_[256];
    std::size_t pos_ = sizeof(pool_);
};

/// Fill `out` with cryptographically secure random bytes. Thread-safe (a pool per thread).
inline void secure_random_bytes(std::uint8_t* out, std::size_t size) {
    thread_local random_pool pool;
    pool.fill(out, size);
}

} // namespace duplex::detail
