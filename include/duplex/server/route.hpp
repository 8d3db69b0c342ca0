/// @file
/// Path patterns for server routes: "/chat", "/rooms/{id}", "/files/*".
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duplex {

/// A route pattern. Segments are literal, `{name}` (captures one non-empty
/// segment) or a final `*` (matches the rest: "/files/*" matches "/files/" and
/// "/files/a/b", not "/files"). Matching is linear in the path length,
/// case-sensitive, and on the raw (not percent-decoded) path.
class path_pattern {
public:
    /// A pattern such as "/rooms/{id}"; not validated.
    explicit path_pattern(std::string pattern) : pattern_(std::move(pattern)) {}

    /// The pattern as given.
    const std::string& str() const noexcept { return pattern_; }

    /// Match `path` (without the query); on success fill `params` with the
    /// captured segments as (name, value) pairs, in pattern order.
    /// `params` is cleared first; after a failed match it may hold captures.
    bool match(std::string_view path, std::vector<std::pair<std::string, std::string>>& params) const {
        params.clear();
        std::string_view pattern = pattern_;
        for (;;) {
            if (pattern.empty() || path.empty()) return pattern.empty() && path.empty();
            if (pattern == "*" || pattern == "/*") return true;
            if (pattern[0] == '/' || path[0] == '/') {
                if (pattern[0] != path[0]) return false;
                pattern.remove_prefix(1);
                path.remove_prefix(1);
                continue;
            }
            const auto pattern_end = pattern.find('/');
            const auto path_end = path.find('/');
            const auto segment = pattern.substr(0, pattern_end);
            const auto value = path.substr(0, path_end);
            if (segment.size() > 2 && segment.front() == '{' && segment.back() == '}') {
                if (value.empty()) return false;
                params.emplace_back(std::string(segment.substr(1, segment.size() - 2)), std::string(value));
            } else if (segment != value) {
                return false;
            }
            pattern.remove_prefix(segment.size());
            path.remove_prefix(value.size());
        }
    }

private:
    std::string pattern_;
};

} // namespace duplex
