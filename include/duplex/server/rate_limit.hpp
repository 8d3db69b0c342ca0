/// @file
/// Token buckets: one bucket (keep one per connection in its user data), and a
/// thread-safe bounded map of buckets by key (e.g. the remote address). Used by
/// the server's handshake rate limit and by the pub/sub publish limits.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace duplex {

/// A token bucket: `rate` tokens per second, at most `burst` saved up; starts
/// full. The time comes from the caller, so tests can pass their own.
/// @par Thread safety
/// Not thread-safe: keep one per connection, or use keyed_rate_limiter.
class token_bucket {
public:
    /// The clock of the time points passed in.
    using clock = std::chrono::steady_clock;

    /// A full bucket of `burst` tokens refilled at `rate` tokens per second.
    token_bucket(double rate = 10, double burst = 20) noexcept : rate_(rate), burst_(burst), tokens_(burst) {}

    /// Take `cost` tokens if there are enough.
    /// @return false, taking nothing, when fewer than `cost` are available.
    bool try_take(clock::time_point now = clock::now(), double cost = 1) noexcept {
        refill(now);
        if (tokens_ < cost) return false;
        tokens_ -= cost;
        return true;
    }
    /// Tokens available at `now`.
    double available(clock::time_point now = clock::now()) noexcept {
        refill(now);
        return tokens_;
    }

private:
    void refill(clock::time_point now) noexcept {
        if (last_ == clock::time_point{}) last_ = now;
        const double elapsed = std::chrono::duration<double>(now - last_).count();
        if (elapsed > 0) {
            tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
            last_ = now;
        }
    }

    double rate_;
    double burst_;
    double tokens_;
    clock::time_point last_{};
};

/// Buckets by key, e.g. one per remote address across that address's
/// connections. Holds at most `max_keys`; the least recently used key is
/// forgotten first (it comes back with a full bucket). Thread-safe.
class keyed_rate_limiter {
public:
    /// Buckets of `burst` tokens refilled at `rate` per second (see
    /// token_bucket), for at most `max_keys` keys (at least 1).
    keyed_rate_limiter(double rate, double burst, std::size_t max_keys = 10000)
        : rate_(rate), burst_(burst), max_keys_(std::max<std::size_t>(1, max_keys)) {}

    /// Take `cost` tokens from `key`'s bucket, if there are enough. An unknown
    /// key starts with a full bucket (forgetting the least recently used key
    /// when max_keys are held).
    /// @return false when the key's bucket holds fewer than `cost` tokens.
    bool allow(std::string_view key, token_bucket::clock::time_point now = token_bucket::clock::now(),
               double cost = 1) {
        std::lock_guard<std::mutex> lock(mutex_);
        const std::string k(key);
        auto it = index_.find(k);
        if (it == index_.end()) {
            if (index_.size() >= max_keys_) {
                index_.erase(lru_.back().first);
                lru_.pop_back();
            }
            lru_.emplace_front(k, token_bucket(rate_, burst_));
            it = index_.emplace(k, lru_.begin()).first;
        } else {
            lru_.splice(lru_.begin(), lru_, it->second);
        }
        return it->second->second.try_take(now, cost);
    }
    /// The number of keys remembered.
    std::size_t size() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return index_.size();
    }

private:
    using entry = std::pair<std::string, token_bucket>;
    double rate_;
    double burst_;
    std::size_t max_keys_;
    mutable std::mutex mutex_;
    std::list<entry> lru_;
    std::unordered_map<std::string, std::list<entry>::iterator> index_;
};

} // namespace duplex
