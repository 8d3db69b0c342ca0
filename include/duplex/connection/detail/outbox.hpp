// What a connection has queued to write: owned bytes and shared pre-framed
// buffers in order, their completions, and the gather list of one write.
#pragma once

#include <duplex/config/asio.hpp>
#include <duplex/detail/byte_buffer.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace duplex::detail {

/// Bytes queued for one gather write: owned bytes, interleaved with shared
/// pre-framed buffers (broadcast) in the order they were queued.
struct outbox {
    struct segment {
        std::size_t offset = 0, size = 0;         // range of `bytes` when frame is null
        std::shared_ptr<const std::string> frame; // a shared frame otherwise
    };
    duplex::detail::byte_buffer bytes;
    std::vector<segment> segments; // empty in the common case: just `bytes`
    std::size_t covered = 0;       // bytes already described by segments
    std::size_t total = 0;
    std::vector<std::function<void(error_code)>> completions;

    bool empty() const noexcept { return total == 0 && completions.empty(); }
    void swap(outbox& other) noexcept {
        std::swap(bytes, other.bytes);
        segments.swap(other.segments);
        std::swap(covered, other.covered);
        std::swap(total, other.total);
        completions.swap(other.completions);
    }
    void add_frame(std::shared_ptr<const std::string> frame) {
        if (bytes.size() > covered) {
            segments.push_back({covered, bytes.size() - covered, nullptr});
            covered = bytes.size();
        }
        total += frame->size();
        segments.push_back({0, 0, std::move(frame)});
    }
    void clear() noexcept {
        bytes.clear();
        segments.clear();
        covered = 0;
        total = 0;
    }
};

/// What a connection has queued and is writing: allocated by its first send
/// and given back when it parks, so an idle connection holds none of it.
struct write_queue {
    outbox back, front; // queued, and in flight
    std::vector<asio::const_buffer> gather;
};

/// A buffer sequence that refers to buffers kept elsewhere (a write_queue's
/// gather list, alive until the write completes). Asio copies the sequence it
/// writes from; copying a std::vector would allocate on every write.
struct buffer_view {
    const asio::const_buffer* first = nullptr;
    const asio::const_buffer* last = nullptr;
    const asio::const_buffer* begin() const noexcept { return first; }
    const asio::const_buffer* end() const noexcept { return last; }
};

} // namespace duplex::detail
