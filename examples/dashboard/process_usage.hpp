// This process's CPU time and resident memory, read from /proc (Linux).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace example::dashboard {

/// User plus system CPU time of this process in seconds (/proc/self/stat
/// fields 14 and 15, in clock ticks); nullopt where /proc is missing.
inline std::optional<double> cpu_seconds() {
    std::ifstream in("/proc/self/stat");
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    // Field 2 is the command name in parentheses, which may hold spaces: count from the last ')'.
    const auto name_end = line.rfind(')');
    if (name_end == std::string::npos || name_end + 2 > line.size()) return std::nullopt;
    std::istringstream fields(line.substr(name_end + 2)); // starts at field 3
    std::string skipped;
    for (int field = 3; field < 14; ++field)
        fields >> skipped;
    unsigned long long user_ticks = 0, system_ticks = 0;
    if (!(fields >> user_ticks >> system_ticks)) return std::nullopt;
    const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
    return static_cast<double>(user_ticks + system_ticks) /
           static_cast<double>(ticks_per_second > 0 ? ticks_per_second : 100);
}

/// Resident set size in KiB (the VmRSS line of /proc/self/status); nullopt where missing.
inline std::optional<std::uint64_t> resident_kib() {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("VmRSS:", 0) != 0) continue;
        std::istringstream value(line.substr(6));
        std::uint64_t kib = 0;
        if (value >> kib) return kib;
        return std::nullopt;
    }
    return std::nullopt;
}

} // namespace example::dashboard
