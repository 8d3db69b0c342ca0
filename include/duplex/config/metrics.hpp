/// @file
/// Metrics sinks. A Config names one as `using metrics = ...`; the default
/// records nothing and compiles away.
///
/// A sink is a class with `static constexpr bool enabled` and the event
/// members of null_metrics; when `enabled` is false no member is called. A
/// server or client owns one sink, and its connections call it from the
/// threads they run on.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace duplex {

namespace detail {
/// Whether a metrics sink counts accept() failures (sinks written before
/// accept_failed() existed need not).
template <class Sink, class = void>
struct has_accept_failed : std::false_type {};
template <class Sink>
struct has_accept_failed<Sink, std::void_t<decltype(std::declval<Sink&>().accept_failed())>> : std::true_type {};
} // namespace detail

/// Records nothing; also the list of events a sink receives.
struct null_metrics {
    static constexpr bool enabled = false; ///< false: the calls are compiled out
    /// A connection completed its opening handshake and is open.
    void connection_opened() noexcept {}
    /// An open connection ended, with its close code (1006 when the transport
    /// ended without a close handshake, RFC 6455 7.1.5).
    void connection_closed(std::uint16_t) noexcept {}
    /// A server answered a handshake with this HTTP status instead of 101.
    void handshake_rejected(int) noexcept {}
    /// A whole message was received, with its payload size (after decompression).
    void message_in(std::size_t) noexcept {}
    /// A message was queued for sending, with its size.
    void message_out(std::size_t) noexcept {}
    /// A send was refused at the send-queue cap (any queue_full_policy).
    void send_dropped() noexcept {}
    /// A server's accept() failed (out of descriptors or memory). Optional: a
    /// sink without it still compiles.
    void accept_failed() noexcept {}
};

/// Lock-free counters, safe to update from many threads and to read at any time.
///
/// Counters are read one by one (relaxed atomics): a set of them read together
/// need not be consistent with one another.
/// @par Thread safety
/// Every member may be called from any thread.
class counter_metrics {
public:
    static constexpr bool enabled = true; ///< true: the connections call it

    /// One more open connection, and one more in total.
    void connection_opened() noexcept {
        open_.fetch_add(1, relaxed);
        total_.fetch_add(1, relaxed);
    }
    /// One fewer open connection; one more close with `code`.
    void connection_closed(std::uint16_t code) noexcept {
        open_.fetch_sub(1, relaxed);
        closes_[close_slot(code)].fetch_add(1, relaxed);
    }
    /// One more handshake refused with `status`.
    void handshake_rejected(int status) noexcept { rejected_[status_slot(status)].fetch_add(1, relaxed); }
    /// One more message received, `bytes` more payload.
    void message_in(std::size_t bytes) noexcept {
        messages_in_.fetch_add(1, relaxed);
        bytes_in_.fetch_add(bytes, relaxed);
    }
    /// One more message sent, `bytes` more.
    void message_out(std::size_t bytes) noexcept {
        messages_out_.fetch_add(1, relaxed);
        bytes_out_.fetch_add(bytes, relaxed);
    }
    /// One more send refused at the queue cap.
    void send_dropped() noexcept { drops_.fetch_add(1, relaxed); }
    /// One more failed accept().
    void accept_failed() noexcept { accept_failures_.fetch_add(1, relaxed); }

    /// Connections open now.
    std::uint64_t open_connections() const noexcept { return open_.load(relaxed); }
    /// Connections opened since the start.
    std::uint64_t total_connections() const noexcept { return total_.load(relaxed); }
    /// Messages received.
    std::uint64_t messages_in() const noexcept { return messages_in_.load(relaxed); }
    /// Messages queued for sending.
    std::uint64_t messages_out() const noexcept { return messages_out_.load(relaxed); }
    /// Payload bytes received.
    std::uint64_t bytes_in() const noexcept { return bytes_in_.load(relaxed); }
    /// Bytes queued for sending, as reported to message_out().
    std::uint64_t bytes_out() const noexcept { return bytes_out_.load(relaxed); }
    /// Sends refused at the send-queue cap.
    std::uint64_t send_drops() const noexcept { return drops_.load(relaxed); }
    /// Failed accept() calls.
    std::uint64_t accept_failures() const noexcept { return accept_failures_.load(relaxed); }
    /// Connections closed with `code`. Codes 1000-1015 are counted each on
    /// their own; 3000-4999 (application codes, RFC 6455 7.4.2) share one
    /// counter, and every other code another.
    std::uint64_t closes(std::uint16_t code) const noexcept { return closes_[close_slot(code)].load(relaxed); }
    /// Handshakes refused with `status`: each status of 400-599 on its own,
    /// any other shares one counter.
    std::uint64_t rejected(int status) const noexcept { return rejected_[status_slot(status)].load(relaxed); }

    /// The counters in the Prometheus text exposition format (version 0.0.4),
    /// e.g. for an `on_http` route at /metrics.
    /// @param prefix the start of every metric name (`duplex_connections_open`).
    std::string prometheus(const std::string& prefix = "duplex") const {
        std::string out;
        const auto metric = [&](const char* name, const char* type, const char* help, std::uint64_t value) {
            out += "# HELP " + prefix + "_" + name + " " + help + "\n# TYPE " + prefix + "_" + name + " " + type + "\n";
            out += prefix + "_" + name + " " + std::to_string(value) + "\n";
        };
        metric("connections_open", "gauge", "Open WebSocket connections.", open_connections());
        metric("connections_total", "counter", "WebSocket connections opened.", total_connections());
        metric("messages_received_total", "counter", "Messages received.", messages_in());
        metric("messages_sent_total", "counter", "Messages sent.", messages_out());
        metric("bytes_received_total", "counter", "Payload bytes received.", bytes_in());
        metric("bytes_sent_total", "counter", "Payload bytes sent.", bytes_out());
        metric("send_queue_drops_total", "counter", "Sends refused or dropped at the send-queue cap.", send_drops());
        metric("accept_failures_total", "counter",
               "accept() failures (out of descriptors or memory); each waits before retrying.", accept_failures());
        out += "# HELP " + prefix + "_closes_total Connections closed, by close code.\n# TYPE " + prefix +
               "_closes_total counter\n";
        for (std::size_t i = 0; i < close_slots; ++i) {
            const auto n = closes_[i].load(relaxed);
            if (n != 0) out += prefix + "_closes_total{code=\"" + close_label(i) + "\"} " + std::to_string(n) + "\n";
        }
        out += "# HELP " + prefix + "_handshakes_rejected_total Handshakes refused, by HTTP status.\n# TYPE " + prefix +
               "_handshakes_rejected_total counter\n";
        for (std::size_t i = 0; i < status_slots; ++i) {
            const auto n = rejected_[i].load(relaxed);
            if (n != 0)
                out += prefix + "_handshakes_rejected_total{status=\"" +
                       (i == 0 ? std::string("other") : std::to_string(399 + i)) + "\"} " + std::to_string(n) + "\n";
        }
        return out;
    }

private:
    static constexpr auto relaxed = std::memory_order_relaxed;
    // Close codes 1000-1015 each; one slot for 3000-4999 (application); one for the rest.
    static constexpr std::size_t close_slots = 18;
    static constexpr std::size_t close_slot(std::uint16_t code) noexcept {
        if (code >= 1000 && code <= 1015) return code - 1000u;
        return (code >= 3000 && code <= 4999) ? 16 : 17;
    }
    static std::string close_label(std::size_t slot) {
        if (slot < 16) return std::to_string(1000 + slot);
        return slot == 16 ? "application" : "other";
    }
    // Statuses 400-599 by value; slot 0 for anything else.
    static constexpr std::size_t status_slots = 201;
    static constexpr std::size_t status_slot(int status) noexcept {
        return (status >= 400 && status <= 599) ? static_cast<std::size_t>(status - 399) : 0;
    }

    std::atomic<std::uint64_t> open_{0}, total_{0}, messages_in_{0}, messages_out_{0}, bytes_in_{0}, bytes_out_{0},
        drops_{0}, accept_failures_{0};
    std::array<std::atomic<std::uint64_t>, close_slots> closes_{};
    std::array<std::atomic<std::uint64_t>, status_slots> rejected_{};
};

} // namespace duplex
