// Logger policies. The level is a compile-time constant, so disabled logging
// costs nothing: `if constexpr` removes the call and the formatting.
#pragma once

#include <cstdio>
#include <functional>
#include <string_view>

namespace duplex {

enum class log_level { trace, debug, info, warning, error, off };

/// Logs nothing (the default).
struct null_logger {
    static constexpr log_level level = log_level::off;
    static void log(log_level, std::string_view) noexcept {}
};

/// Logs warnings and errors to stderr.
struct stderr_logger {
    static constexpr log_level level = log_level::warning;
    static void log(log_level lvl, std::string_view message) noexcept {
        static constexpr const char* names[] = {"trace", "debug", "info", "warning", "error", "off"};
        std::fprintf(stderr, "duplex %s: %.*s\n", names[static_cast<int>(lvl)], static_cast<int>(message.size()),
                     message.data());
    }
};

/// Forwards to a function the application installs (thread-safe to call; set it before use).
struct callback_logger {
    static constexpr log_level level = log_level::info;
    static std::function<void(log_level, std::string_view)>& sink() {
        static std::function<void(log_level, std::string_view)> fn;
        return fn;
    }
    static void log(log_level lvl, std::string_view message) {
        if (auto& fn = sink()) fn(lvl, message);
    }
};

namespace detail {
template <class Logger, class MakeMessage>
void log(log_level lvl, MakeMessage&& make) {
    if constexpr (Logger::level != log_level::off) {
        if (lvl >= Logger::level) Logger::log(lvl, make());
    }
}
} // namespace detail

} // namespace duplex
