// The one place that decides which optional features duplex compiles with.
#pragma once

// duplex is built on standalone Asio (<asio/...>), whatever else the program uses.
#if !defined(ASIO_STANDALONE)
#define ASIO_STANDALONE 1
#endif

// TLS (OpenSSL) and permessage-deflate (zlib) are opt-in per header: include
// <duplex/tls.hpp> or <duplex/extensions/permessage_deflate.hpp> to use them.
// The CMake targets duplex::tls and duplex::deflate define these for you.
#ifndef DUPLEX_HAS_TLS
#define DUPLEX_HAS_TLS 0
#endif
#ifndef DUPLEX_HAS_ZLIB
#define DUPLEX_HAS_ZLIB 0
#endif

// co_await support follows Asio's own detection (compiler and standard library).
#include <asio/detail/config.hpp>
#if defined(ASIO_HAS_CO_AWAIT) && !defined(DUPLEX_HAS_COROUTINES)
#define DUPLEX_HAS_COROUTINES 1
#endif
#ifndef DUPLEX_HAS_COROUTINES
#define DUPLEX_HAS_COROUTINES 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define DUPLEX_LIKELY(x) __builtin_expect(!!(x), 1)
#define DUPLEX_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define DUPLEX_LIKELY(x) (x)
#define DUPLEX_UNLIKELY(x) (x)
#endif

// An empty member (the default per-connection user data) takes no room.
#if defined(__has_cpp_attribute)
#if __has_cpp_attribute(no_unique_address)
#define DUPLEX_NO_UNIQUE_ADDRESS [[no_unique_address]]
#endif
#endif
#ifndef DUPLEX_NO_UNIQUE_ADDRESS
#define DUPLEX_NO_UNIQUE_ADDRESS
#endif
