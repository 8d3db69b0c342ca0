// How an example program meets its command line: `--name value` options with
// checked numbers, flags, positional arguments and --help going in; the
// "listening on HOST:PORT" line that tests and benchmarks wait for coming out.
// No Asio here (examples/sans_io_echo has none); SIGINT/SIGTERM: signals.hpp.
#pragma once

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace example {

/// `text` as a T when all of it is a whole number in [min, max].
template <class T>
std::optional<T> to_number(std::string_view text, T min = std::numeric_limits<T>::min(),
                           T max = std::numeric_limits<T>::max()) {
    T value{};
    const char* end = text.data() + text.size();
    const auto [stop, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || stop != end || value < min || value > max) return std::nullopt;
    return value;
}

/// A program's command line: declare its options and arguments, then parse().
/// Bad input (an unknown option, a missing or bad value, a missing or extra
/// argument) prints the problem and the usage line on stderr and exits with
/// `usage_status`; --help or -h prints the usage line on stdout and exits 0.
class command_line {
public:
    command_line(std::string program, std::string usage, int usage_status = 2)
        : program_(std::move(program)), usage_(std::move(usage)), usage_status_(usage_status) {}

    /// `--name TEXT`.
    void option(std::string name, std::string& target) {
        options_.push_back({std::move(name), false, "", [&target](std::string_view v) {
                                target = std::string(v);
                                return true;
                            }});
    }
    /// `--name N`, N a whole number in [min, max] (T is taken from `target` alone).
    template <class T>
    void option(std::string name, T& target, std::common_type_t<T> min = std::numeric_limits<T>::min(),
                std::common_type_t<T> max = std::numeric_limits<T>::max()) {
        auto wanted = "a whole number from " + std::to_string(min);
        if (max != std::numeric_limits<T>::max() || sizeof(T) <= 4) // a 64-bit maximum is noise
            wanted += " to " + std::to_string(max);
        options_.push_back({std::move(name), false, std::move(wanted), [&target, min, max](std::string_view v) {
                                const auto n = to_number<T>(v, min, max);
                                if (n) target = *n;
                                return n.has_value();
                            }});
    }
    /// `--name` alone: sets `target` to `value`.
    void flag(std::string name, bool& target, bool value = true) {
        options_.push_back({std::move(name), true, "", [&target, value](std::string_view) {
                                target = value;
                                return true;
                            }});
    }
    /// The next positional argument, required.
    void argument(std::string name, std::string& target) {
        arguments_.push_back({std::move(name), true, [&target](std::string v) { target = std::move(v); }});
    }
    /// The next positional argument, optional.
    void argument(std::string name, std::optional<std::string>& target) {
        arguments_.push_back({std::move(name), false, [&target](std::string v) { target = std::move(v); }});
    }

    void parse(int argc, char** argv) const {
        std::size_t given = 0;
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") {
                std::printf("usage: %s %s\n", program_.c_str(), usage_.c_str());
                std::exit(0);
            }
            // "-" alone and negative numbers ("-5", a JSON payload) are arguments.
            if (arg.size() < 2 || arg[0] != '-' || (arg[1] >= '0' && arg[1] <= '9')) {
                if (given == arguments_.size()) fail("unexpected argument " + arg);
                arguments_[given++].set(arg);
                continue;
            }
            const option_entry* o = find(arg);
            if (!o) fail("unknown option " + arg);
            if (o->is_flag) {
                o->set({});
                continue;
            }
            if (i + 1 == argc) fail("missing value for " + arg);
            const std::string value = argv[++i];
            if (!o->set(value)) fail("bad value for " + arg + ": '" + value + "' (want " + o->wanted + ")");
        }
        if (given < arguments_.size() && arguments_[given].required) fail("missing " + arguments_[given].name);
    }

    /// Report a usage error found after parse() (options that go together, ...).
    [[noreturn]] void fail(const std::string& problem) const {
        std::fprintf(stderr, "%s: %s\nusage: %s %s\n", program_.c_str(), problem.c_str(), program_.c_str(),
                     usage_.c_str());
        std::exit(usage_status_);
    }

private:
    struct option_entry {
        std::string name;
        bool is_flag;
        std::string wanted; ///< what a bad value should have been
        std::function<bool(std::string_view)> set;
    };
    struct argument_entry {
        std::string name;
        bool required;
        std::function<void(std::string)> set;
    };

    const option_entry* find(const std::string& name) const {
        for (const auto& o : options_)
            if (o.name == name) return &o;
        return nullptr;
    }

    std::string program_, usage_;
    int usage_status_;
    std::vector<option_entry> options_;
    std::vector<argument_entry> arguments_;
};

/// "HOST:PORT", an IPv6 host in brackets.
inline std::string host_port(const std::string& host, unsigned port) {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

/// The line tests and benchmarks read the port from; flushed, as stdout is often a pipe.
inline void print_listening(const std::string& host, unsigned port) {
    std::printf("listening on %s\n", host_port(host, port).c_str());
    std::fflush(stdout);
}

} // namespace example
