// One timer per io_context for the deadlines of all its connections.
//
// A connection's handshake, close and keepalive deadlines used to be one
// asio::steady_timer each: 120 bytes in the connection plus a pending wait
// operation of about 250 bytes, more than half of what an idle connection
// costs. Here a connection keeps only its slot in a table; one timer sweeps
// the table, no more often than every `resolution`, and posts each expired
// deadline to its connection's executor.
#pragma once

#include <duplex/config/asio.hpp>
#include <duplex/config/macros.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

namespace duplex::detail {

/// What has a deadline: a base of the owning object (a connection).
struct deadline_owner {
    static constexpr std::uint32_t no_slot = std::numeric_limits<std::uint32_t>::max();
    /// Called under the service's lock when the deadline passed, from any
    /// thread: it must only post (never run the owner's code inline) and must
    /// not call back into the service.
    void (*deadline_passed)(deadline_owner* self) = nullptr;
    std::uint32_t deadline_slot = no_slot; // index in the service's table, kept by the service
};

class deadline_service : public asio::execution_context::service {
public:
    using clock = std::chrono::steady_clock;
    /// Deadlines are coalesced: a sweep runs at most this often.
    static constexpr std::chrono::milliseconds resolution{20};

    static inline asio::execution_context::id id;

    explicit deadline_service(asio::io_context& io) : asio::execution_context::service(io), timer_(io) {}

    /// The service of the io_context an executor runs on.
    static deadline_service& of(const asio::io_context::executor_type& executor) {
        return asio::use_service<deadline_service>(executor.context());
    }
    template <class Inner>
    static deadline_service& of(const asio::strand<Inner>& executor) {
        return of(executor.get_inner_executor());
    }

    /// Set (or move) the owner's deadline.
    void schedule(deadline_owner& owner, clock::time_point due) {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (shut_down_) return;
        if (owner.deadline_slot == deadline_owner::no_slot) {
            owner.deadline_slot = static_cast<std::uint32_t>(entries_.size());
            entries_.push_back({due, &owner});
        } else {
            entries_[owner.deadline_slot].due = due;
        }
        if (due < armed_for_) arm(due);
    }

    /// Forget the owner's deadline (idempotent); its slot is given back.
    void cancel(deadline_owner& owner) noexcept {
        const std::lock_guard<std::mutex> lock(mutex_);
        const auto slot = owner.deadline_slot;
        if (slot == deadline_owner::no_slot) return;
        entries_[slot] = entries_.back(); // the last entry moves into the hole
        entries_[slot].owner->deadline_slot = slot;
        entries_.pop_back();
        owner.deadline_slot = deadline_owner::no_slot;
        if (entries_.empty()) {
            std::vector<entry>().swap(entries_);
            // A pending wait is work: io_context::run() would not return until
            // it fired, up to a keepalive tick after the last connection ended.
            if (!shut_down_ && armed_for_ != never) {
                armed_for_ = never;
                timer_.cancel();
            }
        }
    }

    /// Deadlines registered (for tests).
    std::size_t size() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return entries_.size();
    }

private:
    struct entry {
        clock::time_point due;
        deadline_owner* owner;
    };
    static constexpr clock::time_point never = clock::time_point::max();

    void shutdown() override {
        const std::lock_guard<std::mutex> lock(mutex_);
        shut_down_ = true;
        armed_for_ = clock::time_point::min(); // nothing arms the timer again
        timer_.cancel();
    }

    // Under the lock.
    void arm(clock::time_point due) {
        armed_for_ = std::max(due, clock::now() + resolution);
        timer_.expires_at(armed_for_);
        timer_.async_wait([this](error_code ec) {
            if (!ec) sweep();
        });
    }

    void sweep() {
        const std::lock_guard<std::mutex> lock(mutex_);
        if (shut_down_) return;
        const auto now = clock::now();
        auto next = never;
        for (auto& e : entries_) {
            if (e.due <= now) {
                e.due = never;
                e.owner->deadline_passed(e.owner);
            } else if (e.due < next) {
                next = e.due;
            }
        }
        armed_for_ = never;
        if (next != never) arm(next);
    }

    mutable std::mutex mutex_;
    asio::steady_timer timer_;
    std::vector<entry> entries_;
    clock::time_point armed_for_ = never; // when the timer fires next; never: idle
    bool shut_down_ = false;
};

} // namespace duplex::detail
