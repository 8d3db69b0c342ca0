/// @file
/// Topic names and MQTT-style patterns: levels separated by '/', '+' matches
/// exactly one level, a final '#' matches the rest (zero or more levels).
/// topic_tree keeps values per pattern and finds every pattern matching a topic
/// by walking the topic's levels once, not by scanning the patterns.
///
/// Unlike MQTT, topics starting with '$' get no special treatment, and levels
/// may be empty ("a//b" has three levels, the middle one empty).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace duplex::pubsub {

/// A topic one can publish to: non-empty, no '+' or '#', no NUL.
inline bool is_valid_topic(std::string_view topic) noexcept {
    if (topic.empty()) return false;
    for (const char c : topic)
        if (c == '+' || c == '#' || c == '\0') return false;
    return true;
}

/// A subscription pattern: '+' and '#' only as whole levels, '#' only last.
inline bool is_valid_pattern(std::string_view pattern) noexcept {
    if (pattern.empty()) return false;
    std::size_t start = 0;
    for (;;) {
        const auto end = pattern.find('/', start);
        const auto level = pattern.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        for (const char c : level)
            if (c == '\0') return false;
        if (level.find_first_of("+#") != std::string_view::npos) {
            if (level.size() != 1) return false;
            if (level == "#" && end != std::string_view::npos) return false;
        }
        if (end == std::string_view::npos) return true;
        start = end + 1;
    }
}

/// True when the (valid) pattern has a '+' or '#' level.
inline bool is_wildcard(std::string_view pattern) noexcept {
    return pattern.find_first_of("+#") != std::string_view::npos;
}

/// Patterns (valid per is_valid_pattern) to values of type T.
///
/// Each value is allocated on its own and keeps its address until erased.
/// @par Thread safety
/// Distinct objects: safe. Shared objects: unsafe (basic_broker guards its
/// tree with its mutex).
template <class T>
class topic_tree {
public:
    /// The value for `pattern`, value-initialised when absent.
    T& at(std::string_view pattern) {
        node* n = &root_;
        for_each_level(pattern, [&](std::string_view level) {
            auto& child = n->children[std::string(level)];
            if (!child) child = std::make_unique<node>();
            n = child.get();
        });
        if (!n->value) n->value = std::make_unique<T>();
        return *n->value;
    }

    /// The value for `pattern`, or null.
    T* find(std::string_view pattern) const {
        const node* n = &root_;
        bool missing = false;
        for_each_level(pattern, [&](std::string_view level) {
            if (missing) return;
            const auto it = n->children.find(level);
            if (it == n->children.end()) {
                missing = true;
                return;
            }
            n = it->second.get();
        });
        return missing ? nullptr : n->value.get();
    }

    /// Remove the value for `pattern` and the branches left empty.
    void erase(std::string_view pattern) { erase_from(root_, pattern); }

    /// Call fn(T&) for the value of every pattern matching `topic`, each at
    /// most once, in no particular order. `fn` must not change the tree.
    template <class Fn>
    void match(std::string_view topic, Fn&& fn) const {
        match_from(root_, topic, false, fn);
    }

    /// True when the tree holds no pattern.
    bool empty() const noexcept { return root_.children.empty() && !root_.value; }

private:
    struct node {
        std::map<std::string, std::unique_ptr<node>, std::less<>> children;
        std::unique_ptr<T> value;
    };

    template <class Fn>
    static void for_each_level(std::string_view s, Fn&& fn) {
        std::size_t start = 0;
        for (;;) {
            const auto end = s.find('/', start);
            fn(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
            if (end == std::string_view::npos) return;
            start = end + 1;
        }
    }

    static bool erase_from(node& n, std::string_view rest) {
        const auto slash = rest.find('/');
        const auto level = rest.substr(0, slash);
        const auto it = n.children.find(level);
        if (it == n.children.end()) return false;
        node& child = *it->second;
        if (slash == std::string_view::npos)
            child.value.reset();
        else
            erase_from(child, rest.substr(slash + 1));
        if (!child.value && child.children.empty()) n.children.erase(it);
        return true;
    }

    // `rest` is the topic from the current level on; `done` once every level was consumed.
    template <class Fn>
    static void match_from(const node& n, std::string_view rest, bool done, Fn& fn) {
        // '#' matches the rest, including nothing ("a/#" matches "a").
        if (const auto hash = n.children.find(std::string_view("#")); hash != n.children.end() && hash->second->value)
            fn(*hash->second->value);
        if (done) {
            if (n.value) fn(*n.value);
            return;
        }
        const auto slash = rest.find('/');
        const auto level = rest.substr(0, slash);
        const bool last = slash == std::string_view::npos;
        const auto next = last ? std::string_view() : rest.substr(slash + 1);
        if (const auto exact = n.children.find(level); exact != n.children.end())
            match_from(*exact->second, next, last, fn);
        if (level != "+")
            if (const auto plus = n.children.find(std::string_view("+")); plus != n.children.end())
                match_from(*plus->second, next, last, fn);
    }

    node root_;
};

} // namespace duplex::pubsub
