// A growable byte buffer without zero-initialisation, with a consumed prefix
// that is compacted lazily: the read and write buffers of a session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

namespace duplex::detail {

class byte_buffer {
public:
    byte_buffer() = default;
    // A moved-from buffer is empty and usable (the defaults kept its sizes with no storage).
    byte_buffer(byte_buffer&& other) noexcept
        : data_(std::move(other.data_)), capacity_(std::exchange(other.capacity_, 0)),
          begin_(std::exchange(other.begin_, 0)), end_(std::exchange(other.end_, 0)) {}
    byte_buffer& operator=(byte_buffer&& other) noexcept {
        if (this != &other) {
            data_ = std::move(other.data_);
            capacity_ = std::exchange(other.capacity_, 0);
            begin_ = std::exchange(other.begin_, 0);
            end_ = std::exchange(other.end_, 0);
        }
        return *this;
    }

    std::uint8_t* data() noexcept { return data_.get() + begin_; }
    const std::uint8_t* data() const noexcept { return data_.get() + begin_; }
    std::size_t size() const noexcept { return end_ - begin_; }
    bool empty() const noexcept { return end_ == begin_; }
    std::size_t capacity() const noexcept { return capacity_; }

    /// Writable space for at least `n` more bytes; call commit() with what was written.
    std::uint8_t* prepare(std::size_t n) {
        if (capacity_ - end_ < n) make_room(n);
        return data_.get() + end_;
    }
    void commit(std::size_t n) noexcept { end_ += n; }

    void append(const void* bytes, std::size_t n) {
        if (n == 0) return;
        std::memcpy(prepare(n), bytes, n);
        end_ += n;
    }

    /// Drop `n` bytes from the front.
    void consume(std::size_t n) noexcept {
        begin_ += n;
        if (begin_ >= end_) begin_ = end_ = 0;
    }

    void clear() noexcept { begin_ = end_ = 0; }

    /// Free the storage when nothing is buffered (idle connections hold none).
    void release_if_empty() noexcept {
        if (begin_ == end_) {
            data_.reset();
            capacity_ = begin_ = end_ = 0;
        }
    }

    /// Shrink back to `limit` bytes of capacity when idle and larger than that.
    void shrink_if_empty(std::size_t limit) noexcept {
        if (begin_ == end_ && capacity_ > limit) release_if_empty();
    }

private:
    void make_room(std::size_t n) {
        const std::size_t used = end_ - begin_;
        if (begin_ > 0 && capacity_ - used >= n && used <= capacity_ / 2) {
            std::memmove(data_.get(), data_.get() + begin_, used); // compact in place
        } else {
            std::size_t cap = capacity_ < 256 ? 256 : capacity_ * 2;
            while (cap - used < n)
                cap *= 2;
            std::unique_ptr<std::uint8_t[]> bigger(new std::uint8_t[cap]);
            if (used) std::memcpy(bigger.get(), data_.get() + begin_, used);
            data_ = std::move(bigger);
            capacity_ = cap;
        }
        begin_ = 0;
        end_ = used;
    }

    std::unique_ptr<std::uint8_t[]> data_;
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

} // namespace duplex::detail
