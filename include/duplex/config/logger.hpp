/// @file
/// Logger policies. The level is a compile-time constant, so disabled logging
/// costs nothing: `if constexpr` removes the call and the formatting.
///
/// A Config names one as `using logger = ...;`. A logger is any type with
/// `static constexpr log_level level` (the least severe level it wants; `off`
/// for none) and `static void log(log_level, std::string_view)`.
#pragma once

#include <cstdio>
#include <functional>
#include <string_view>

namespace duplex {

/// How severe a log message is, least first. `off` is only a logger's level:
/// no message has it.
enum class log_level {
    trace,   ///< step by step detail
    debug,   ///< for diagnosing a problem
    info,    ///< normal events worth a line
    warning, ///< something was refused or failed and the program goes on
    error,   ///< a failure that needs attention
    off      ///< as a logger's level: log nothing
};

/// Logs nothing (the default).
struct null_logger {
    static constexpr log_level level = log_level::off; ///< nothing is logged
    /// Never called: the level is off.
    static void log(log_level, std::string_view) noexcept {}
};

/// Logs warnings and errors to stderr.
struct stderr_logger {
    static constexpr log_level level = log_level::warning; ///< warnings and errors
    /// Write one line, "duplex <level>: <message>".
    static void log(log_level lvl, std::string_view message) noexcept {
        static constexpr const char* names[] = {"trace", "debug", "info", "warning", "error", "off"};
        std::fprintf(stderr, "duplex %s: %.*s\n", names[static_cast<int>(lvl)], static_cast<int>(message.size()),
                     message.data());
    }
};

/// Forwards info, warnings and errors to a function the application installs
/// in sink(). For other levels, derive and redefine `level`.
/// @par Thread safety
/// Set the sink before the first connection starts and leave it: log() reads
/// it without a lock, from whichever thread runs the connection. The sink
/// itself must be safe to call from those threads.
struct callback_logger {
    static constexpr log_level level = log_level::info; ///< info, warnings and errors
    /// The function log() calls; empty (nothing logged) until set, e.g.
    /// `duplex::callback_logger::sink() = [](duplex::log_level, std::string_view m) { ... };`.
    /// One sink serves the whole program.
    static std::function<void(log_level, std::string_view)>& sink() {
        static std::function<void(log_level, std::string_view)> fn;
        return fn;
    }
    /// Call the sink, if set, with the level and the message.
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
