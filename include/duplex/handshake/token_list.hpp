/// @file
/// HTTP token lists (RFC 7230 7, "#rule") and Sec-WebSocket-Extensions offers
/// (RFC 6455 9.1). Every parser here is a single linear pass.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace duplex::handshake {

/// RFC 7230 3.2.6 tchar.
constexpr bool is_token_char(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~': return true;
    default: return false;
    }
}

/// True if `s` is a non-empty RFC 7230 token (3.2.6).
constexpr bool is_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_token_char(c)) return false;
    return true;
}

/// `c` in lower case if it is an ASCII letter. Independent of the locale, as HTTP is.
constexpr char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// ASCII case-insensitive comparison.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

/// True for optional whitespace: space or tab (RFC 7230 3.2.3).
constexpr bool is_ows(char c) noexcept {
    return c == ' ' || c == '\t';
}

/// Strip optional whitespace (spaces and tabs) from both ends.
constexpr std::string_view trim_ows(std::string_view s) noexcept {
    std::size_t begin = 0, end = s.size();
    while (begin < end && is_ows(s[begin]))
        ++begin;
    while (end > begin && is_ows(s[end - 1]))
        --end;
    return s.substr(begin, end - begin);
}

/// Call `fn(element)` for each non-empty element of a comma-separated list,
/// trimmed of whitespace. Commas inside quoted strings do not split; the
/// quotes stay in the element.
/// @param fn called as `fn(std::string_view)`.
template <class Fn>
void for_each_list_element(std::string_view list, Fn&& fn) {
    std::size_t start = 0;
    bool quoted = false;
    for (std::size_t i = 0; i <= list.size(); ++i) {
        if (i < list.size()) {
            const char c = list[i];
            if (quoted) {
                if (c == '\\') {
                    if (i + 1 < list.size()) ++i; // a trailing backslash must not skip the last element
                } else if (c == '"')
                    quoted = false;
                continue;
            }
            if (c == '"') {
                quoted = true;
                continue;
            }
            if (c != ',') continue;
        }
        const std::string_view element = trim_ows(list.substr(start, i - start));
        if (!element.empty()) fn(element);
        start = i + 1;
    }
}

/// True if the comma-separated `list` contains `token` (case-insensitive).
inline bool list_contains_token(std::string_view list, std::string_view token) {
    bool found = false;
    for_each_list_element(list, [&](std::string_view element) {
        if (iequals(element, token)) found = true;
    });
    return found;
}

/// Parse a list of tokens, such as Sec-WebSocket-Protocol. nullopt if any
/// element is not a token; an empty list gives an empty vector.
inline std::optional<std::vector<std::string>> parse_token_list(std::string_view list) {
    std::vector<std::string> tokens;
    bool ok = true;
    for_each_list_element(list, [&](std::string_view element) {
        if (!is_token(element))
            ok = false;
        else
            tokens.emplace_back(element);
    });
    if (!ok) return std::nullopt;
    return tokens;
}

/// One `name[=value]` parameter of an extension offer.
struct extension_param {
    std::string name;       ///< the parameter's name, as sent
    std::string value;      ///< unquoted; empty when has_value is false
    bool has_value = false; ///< the parameter had `=value`
};

/// One element of Sec-WebSocket-Extensions: `name; param; param=value`.
struct extension_offer {
    std::string name;                    ///< the extension, such as "permessage-deflate"
    std::vector<extension_param> params; ///< in the order sent; duplicates kept

    /// The parameter with this name, or nullptr.
    const extension_param* find(std::string_view param_name) const noexcept {
        for (const auto& p : params)
            if (iequals(p.name, param_name)) return &p;
        return nullptr;
    }
};

namespace detail {

class extension_scanner {
public:
    explicit extension_scanner(std::string_view s) noexcept : s_(s) {}

    void skip_ows() noexcept {
        while (pos_ < s_.size() && is_ows(s_[pos_]))
            ++pos_;
    }
    bool at_end() const noexcept { return pos_ >= s_.size(); }
    char peek() const noexcept { return s_[pos_]; }
    void advance() noexcept { ++pos_; }

    std::string_view token() noexcept {
        const std::size_t start = pos_;
        while (pos_ < s_.size() && is_token_char(s_[pos_]))
            ++pos_;
        return s_.substr(start, pos_ - start);
    }

    /// RFC 7230 quoted-string, unescaped into `out`. False if unterminated.
    bool quoted_string(std::string& out) {
        ++pos_; // opening quote
        while (pos_ < s_.size()) {
            char c = s_[pos_++];
            if (c == '"') return true;
            if (c == '\\') {
                if (pos_ >= s_.size()) return false;
                c = s_[pos_++];
            }
            out += c;
        }
        return false;
    }

private:
    std::string_view s_;
    std::size_t pos_ = 0;
};

} // namespace detail

/// Parse a Sec-WebSocket-Extensions value (all occurrences joined with ", ").
/// Returns nullopt on a syntax error. Quoted parameter values must unquote to
/// tokens (RFC 6455 9.1).
inline std::optional<std::vector<extension_offer>> parse_extensions(std::string_view value) {
    std::vector<extension_offer> offers;
    detail::extension_scanner scan(value);
    for (;;) {
        scan.skip_ows();
        if (scan.at_end()) break;
        if (scan.peek() == ',') { // empty list element
            scan.advance();
            continue;
        }
        extension_offer offer;
        const auto name = scan.token();
        if (name.empty()) return std::nullopt;
        offer.name = std::string(name);
        scan.skip_ows();
        while (!scan.at_end() && scan.peek() == ';') {
            scan.advance();
            scan.skip_ows();
            extension_param param;
            const auto param_name = scan.token();
            if (param_name.empty()) return std::nullopt;
            param.name = std::string(param_name);
            scan.skip_ows();
            if (!scan.at_end() && scan.peek() == '=') {
                scan.advance();
                scan.skip_ows();
                param.has_value = true;
                if (!scan.at_end() && scan.peek() == '"') {
                    if (!scan.quoted_string(param.value) || !is_token(param.value)) return std::nullopt;
                } else {
                    const auto v = scan.token();
                    if (v.empty()) return std::nullopt;
                    param.value = std::string(v);
                }
                scan.skip_ows();
            }
            offer.params.push_back(std::move(param));
        }
        offers.push_back(std::move(offer));
        if (scan.at_end()) break;
        if (scan.peek() != ',') return std::nullopt;
        scan.advance();
    }
    return offers;
}

} // namespace duplex::handshake
