// Memory for the Asio operations of a connection's read-write loop: an
// allocator over exact-size free lists kept per thread, so the steady loop
// allocates nothing.
#pragma once

#include <duplex/config/asio.hpp>

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

namespace duplex::detail {

/// An allocator for Asio operations (see with_allocator) that takes its
/// memory from Memory's static allocate(size) and deallocate(p, size).
template <class T, class Memory>
struct operation_allocator {
    using value_type = T;
    operation_allocator() noexcept = default;
    template <class U>
    operation_allocator(const operation_allocator<U, Memory>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(Memory::allocate(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { Memory::deallocate(p, n * sizeof(T)); }
    template <class U>
    bool operator==(const operation_allocator<U, Memory>&) const noexcept {
        return true;
    }
    template <class U>
    bool operator!=(const operation_allocator<U, Memory>&) const noexcept {
        return false;
    }
};

/// Exactly what is asked. Asio otherwise recycles operation memory per
/// thread, in blocks sized by earlier, larger operations: the one wait a
/// parked connection keeps pending would hold such a block.
struct exact_memory {
    static void* allocate(std::size_t size) { return ::operator new(size); }
    static void deallocate(void* p, std::size_t) noexcept { ::operator delete(p); }
};
template <class T>
using exact_allocator = operation_allocator<T, exact_memory>;

/// Memory of the operations of a connection's read-write loop, kept per
/// thread for reuse by exact size: a few lists of up to 256 free blocks each.
/// Each message starts a read and a write, and their memory comes back before
/// the next one starts, so the steady loop allocates nothing. (Asio's own
/// recycling keeps two blocks per thread, too few for a read and a write in
/// flight on each of many connections.)
class operation_memory {
public:
    static void* allocate(std::size_t size) {
        for (auto& l : lists().slots) {
            if (l.size == size && l.head) {
                node* n = l.head;
                l.head = n->next;
                --l.count;
                return n;
            }
        }
        return ::operator new(size);
    }
    static void deallocate(void* p, std::size_t size) noexcept {
        auto& lists = operation_memory::lists();
        for (auto& l : lists.slots) {
            if (lists.closed || size < sizeof(node)) break;
            if (l.size == 0) l.size = size; // a list not yet used takes this size
            if (l.size == size) {
                if (l.count == max_free) break;
                l.head = new (p) node{l.head};
                ++l.count;
                return;
            }
        }
        ::operator delete(p);
    }

private:
    static constexpr int max_free = 256;
    struct node {
        node* next;
    };
    struct list {
        std::size_t size = 0;
        node* head = nullptr;
        int count = 0;
    };
    struct thread_lists { // trivially destructible: still usable while the thread ends
        list slots[6];
        bool closed = false;
    };
    struct releaser { // gives the free blocks back when the thread ends; later ones go straight back
        thread_lists& lists;
        ~releaser() {
            lists.closed = true;
            for (auto& l : lists.slots) {
                while (l.head)
                    ::operator delete(std::exchange(l.head, l.head->next));
                l.count = 0;
            }
        }
    };
    static thread_lists& lists() noexcept {
        thread_local thread_lists lists;
        thread_local releaser release{lists};
        (void)release;
        return lists;
    }
};

template <class T>
using recycling_allocator = operation_allocator<T, operation_memory>;

/// A completion handler whose operations take their memory from Allocator
/// (Asio asks a handler's nested allocator_type / get_allocator()). What
/// asio::bind_allocator does since Asio 1.22, also on Boost.Asio 1.74.
template <class Allocator, class Handler>
struct allocator_binder {
    using allocator_type = Allocator;
    allocator_type get_allocator() const noexcept { return allocator; }
    template <class... Args>
    void operator()(Args&&... args) {
        handler(std::forward<Args>(args)...);
    }
    Allocator allocator;
    Handler handler;
};

template <class Allocator, class Handler>
allocator_binder<Allocator, std::decay_t<Handler>> with_allocator(Allocator allocator, Handler&& handler) {
    return {allocator, std::forward<Handler>(handler)};
}

} // namespace duplex::detail
