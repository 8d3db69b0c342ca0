// duplex: requires json
/// @file
/// JSON-RPC 2.0 with nlohmann/json, the default codec. Link the CMake target
/// `%duplex::rpc`.
///
/// @code
///   auto methods = std::make_shared<duplex::rpc::registry<>>();
///   methods->add("add", [](const std::vector<int>& xs) { return xs[0] + xs[1]; });
///   route.on_open = [&](const auto& c) { c->data() = duplex::rpc::session<conn>::make(c, methods); };
///   route.on_message = [](const auto& c, const duplex::message& m) { c->data()->handle(m); };
///   route.on_close = [](const auto& c, const auto&) { c->data()->close(); };
///   c->data()->call("client.version", nullptr, [](const duplex::rpc::outcome& r) { ... });
/// @endcode
///
/// Another JSON library plugs in as a Codec of rpc/basic_session.hpp.
#pragma once

#include <duplex/config/macros.hpp>

#if !DUPLEX_HAS_JSON
#error                                                                                                                 \
    "duplex/rpc/json_rpc.hpp needs nlohmann/json: link the CMake target duplex::rpc (or define DUPLEX_HAS_JSON=1 and link it yourself)"
#endif

#include <duplex/rpc/basic_session.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <climits>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace duplex::rpc {

namespace detail {
template <class T>
struct sequence_of : std::false_type {};
template <class U, class A>
struct sequence_of<std::vector<U, A>> : std::true_type {
    using element = U;
};
template <class U, class A>
struct sequence_of<std::deque<U, A>> : std::true_type {
    using element = U;
};
template <class U, class A>
struct sequence_of<std::list<U, A>> : std::true_type {
    using element = U;
};
template <class U, std::size_t N>
struct sequence_of<std::array<U, N>> : std::true_type {
    using element = U;
};
template <class T>
struct is_tuple_like : std::false_type {};
template <class... U>
struct is_tuple_like<std::tuple<U...>> : std::true_type {};
template <class A, class B>
struct is_tuple_like<std::pair<A, B>> : std::true_type {};
template <class T>
struct is_optional : std::false_type {};
template <class U>
struct is_optional<std::optional<U>> : std::true_type {};
template <class T>
struct is_string_map : std::false_type {};
template <class U, class C, class A>
struct is_string_map<std::map<std::string, U, C, A>> : std::true_type {};
template <class U, class H, class E, class A>
struct is_string_map<std::unordered_map<std::string, U, H, E, A>> : std::true_type {};

template <class T, class Json, std::size_t... I>
bool tuple_numbers_fit(const Json& v, std::index_sequence<I...>);

/// False when converting `v` to T would turn a floating-point number into an
/// integer type that cannot hold it: undefined behaviour in C++, which
/// nlohmann/json does not check (a peer sending [1e300] to a method taking
/// ints). Looks through standard containers, tuples, pairs and optionals; a
/// user type's from_json must check its own numbers.
template <class T, class Json>
bool numbers_fit(const Json& v) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        if (!v.is_number_float()) return true;
        const double d = v.template get<double>();
        const double limit = std::ldexp(1.0, std::numeric_limits<T>::digits); // 2^31 for int, 2^64 for uint64_t
        const double lowest = std::is_signed_v<T> ? -limit - 1.0 : -1.0;      // truncation toward zero
        return std::isfinite(d) && d > lowest && d < limit;
    } else if constexpr (sequence_of<T>::value) {
        if (!v.is_array()) return true; // the conversion reports the type mismatch
        for (const auto& e : v)
            if (!numbers_fit<typename sequence_of<T>::element>(e)) return false;
        return true;
    } else if constexpr (is_tuple_like<T>::value) {
        if (!v.is_array()) return true;
        return tuple_numbers_fit<T>(v, std::make_index_sequence<std::tuple_size_v<T>>{});
    } else if constexpr (is_optional<T>::value) {
        return v.is_null() || numbers_fit<typename T::value_type>(v);
    } else if constexpr (is_string_map<T>::value) {
        if (!v.is_object()) return true;
        for (const auto& e : v)
            if (!numbers_fit<typename T::mapped_type>(e)) return false;
        return true;
    } else {
        return true;
    }
}
template <class T, class Json, std::size_t... I>
bool tuple_numbers_fit(const Json& v, std::index_sequence<I...>) { // for each element present
    return ((I >= v.size() || numbers_fit<std::tuple_element_t<I, T>>(v[I])) && ...);
}
} // namespace detail

/// The Codec for nlohmann/json (Json: nlohmann::json, or nlohmann::ordered_json
/// to keep members in the order they were written). The members are the
/// Codec requirements of rpc/basic_session.hpp.
template <class Json>
struct basic_nlohmann_codec {
    /// The JSON value; default-constructs to null.
    using value = Json;

    /// Parse `text` into `out`, without exceptions; false when it is not JSON.
    static bool parse(std::string_view text, value& out) {
        // nlohmann stops at a NUL as at the end and would accept what precedes it;
        // JSON text never holds a raw NUL (RFC 8259 2, 7).
        if (text.find('\0') != std::string_view::npos) return false;
        out = value::parse(text.begin(), text.end(), nullptr, false);
        return !out.is_discarded();
    }
    /// Compact JSON text; invalid UTF-8 in strings is replaced (U+FFFD), never thrown on.
    static std::string dump(const value& v) { return v.dump(-1, ' ', false, value::error_handler_t::replace); }
    /// `v` as T, by nlohmann's from_json. Throws std::exception on a mismatch,
    /// and std::out_of_range for a number that T's integers cannot hold.
    template <class T>
    static T to(const value& v) {
        if (!detail::numbers_fit<T>(v)) throw std::out_of_range("a number does not fit the parameter's type");
        return v.template get<T>();
    }
    /// `t` as a JSON value, by nlohmann's to_json.
    template <class T>
    static value from(T&& t) {
        return value(std::forward<T>(t));
    }

    /// True for a JSON object.
    static bool is_object(const value& v) noexcept { return v.is_object(); }
    /// True for a JSON array.
    static bool is_array(const value& v) noexcept { return v.is_array(); }
    /// True for null (also a default-constructed value).
    static bool is_null(const value& v) noexcept { return v.is_null(); }
    /// The member `key` of object `v`; null when absent or `v` is not an object.
    static const value* member(const value& v, std::string_view key) {
        if (!v.is_object()) return nullptr;
        const auto it = v.find(key);
        return it == v.end() ? nullptr : &*it;
    }
    /// A string's text (a view into `v`), or nothing for another type.
    static std::optional<std::string_view> as_string(const value& v) {
        if (!v.is_string()) return std::nullopt;
        return std::string_view(v.template get_ref<const std::string&>());
    }
    /// An integer that fits int64_t, or nothing (floating-point numbers included).
    static std::optional<std::int64_t> as_int(const value& v) {
        if (v.is_number_unsigned()) {
            const auto u = v.template get<std::uint64_t>();
            if (u > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
            return static_cast<std::int64_t>(u);
        }
        if (v.is_number_integer()) return v.template get<std::int64_t>();
        return std::nullopt;
    }
    /// A non-negative integer, or nothing (floating-point numbers included).
    static std::optional<std::uint64_t> as_uint(const value& v) {
        if (v.is_number_unsigned()) return v.template get<std::uint64_t>();
        if (v.is_number_integer() && v.template get<std::int64_t>() >= 0)
            return static_cast<std::uint64_t>(v.template get<std::int64_t>());
        return std::nullopt;
    }
    /// The number of elements of an array (of members of an object).
    static std::size_t size(const value& v) noexcept { return v.size(); }
    /// Element `i` of array `v`; `i` must be below size(v).
    static const value& at(const value& v, std::size_t i) { return v[i]; }
    /// A JSON string.
    static value string(std::string_view s) { return value(std::string(s)); }
    /// A JSON integer.
    static value integer(std::int64_t i) { return value(i); }
    /// An empty JSON object.
    static value object() { return value::object(); }
    /// An empty JSON array.
    static value array() { return value::array(); }
    /// Set member `key` of `object`, replacing any.
    static void set(value& object, std::string_view key, value v) { object[std::string(key)] = std::move(v); }
    /// Append `v` to `array`.
    static void push(value& array, value v) { array.push_back(std::move(v)); }
};
/// The Codec for nlohmann::json, the default of registry<> and session<>.
using nlohmann_codec = basic_nlohmann_codec<nlohmann::json>;

// The short names, for nlohmann/json.

/// An error object with nlohmann::json data.
using error = basic_error<nlohmann_codec>;
/// The outcome of a call, with nlohmann::json values.
using outcome = basic_outcome<nlohmann_codec>;
/// Throw from a method to answer with this error object.
using rpc_error = basic_rpc_error<nlohmann_codec>;
/// Replies to one request with nlohmann::json values.
using responder = basic_responder<nlohmann_codec>;
template <class Codec = nlohmann_codec>
class registry; // registry<> is nlohmann's
/// JSON-RPC on one connection of type Connection, with nlohmann/json by default.
template <class Connection, class Codec = nlohmann_codec>
using session = basic_session<Connection, Codec>;

} // namespace duplex::rpc
