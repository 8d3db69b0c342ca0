// The entry point of a fuzz target, built one of two ways:
//  - with DUPLEX_FUZZ_LIBFUZZER (clang, -fsanitize=fuzzer): DUPLEX_FUZZ_TARGET(name)
//    is libFuzzer's LLVMFuzzerTestOneInput, one binary per target;
//  - without it: a function registered under `name`, so one plain executable
//    (fuzz_replay) holds every target and replays tests/fuzz/corpus/<name>/.
// Targets check invariants with DUPLEX_FUZZ_CHECK, which traps: libFuzzer keeps
// the input as a crash, and the replay test fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <vector>

namespace duplex_fuzz {

using target_function = int (*)(const std::uint8_t* data, std::size_t size);

struct registered_target {
    const char* name;
    target_function run;
};

/// Every target linked into this executable (replay mode).
inline std::vector<registered_target>& targets() {
    static std::vector<registered_target> all;
    return all;
}

inline bool register_target(const char* name, target_function run) {
    targets().push_back({name, run});
    return true;
}

/// An invariant failed: say which, then trap so the fuzzer records the input.
[[noreturn]] inline void invariant_failed(const char* file, int line, const char* condition) {
    std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", file, line, condition);
    std::fflush(stderr);
    __builtin_trap();
}

/// Reads a fuzz input front to back; past the end every read yields zeros / nothing.
class input_reader {
public:
    input_reader(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

    bool empty() const noexcept { return pos_ >= size_; }
    std::size_t remaining() const noexcept { return size_ - pos_; }

    std::uint8_t byte() noexcept { return pos_ < size_ ? data_[pos_++] : 0; }

    /// Up to `n` bytes (fewer at the end of the input).
    std::string_view bytes(std::size_t n) noexcept {
        if (n > remaining()) n = remaining();
        const std::string_view out(reinterpret_cast<const char*>(data_ + pos_), n);
        pos_ += n;
        return out;
    }
    std::string_view rest() noexcept { return bytes(remaining()); }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

} // namespace duplex_fuzz

#define DUPLEX_FUZZ_CHECK(condition)                                                                                   \
    do {                                                                                                               \
        if (!(condition)) ::duplex_fuzz::invariant_failed(__FILE__, __LINE__, #condition);                             \
    } while (false)

#if defined(DUPLEX_FUZZ_LIBFUZZER)
#define DUPLEX_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
#else
#define DUPLEX_FUZZ_TARGET(name)                                                                                       \
    static int duplex_fuzz_##name(const std::uint8_t* data, std::size_t size);                                         \
    [[maybe_unused]] static const bool duplex_fuzz_registered_##name =                                                 \
        ::duplex_fuzz::register_target(#name, duplex_fuzz_##name);                                                     \
    static int duplex_fuzz_##name(const std::uint8_t* data, std::size_t size)
#endif
