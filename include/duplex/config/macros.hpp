/// @file
/// The one place that decides which optional features duplex compiles with,
/// and on which Asio. Each macro can be defined before any duplex header, the
/// same in every translation unit; linking the CMake target named below does
/// it. An undefined one gets the default.
///
/// | Macro | Default | Meaning |
/// |-------|---------|---------|
/// | `DUPLEX_USE_BOOST_ASIO` | 0 | 1: build on Boost.Asio and boost::system::error_code (CMake `DUPLEX_ASIO=boost`) |
/// | `DUPLEX_HAS_TLS` | 0 | OpenSSL is linked (`%duplex::tls`): duplex/tls.hpp may be included |
/// | `DUPLEX_HAS_ZLIB` | 0 | zlib is linked (`duplex::deflate`): permessage-deflate (RFC 7692) is available |
/// | `DUPLEX_HAS_REDIS` | 0 | hiredis is linked (`duplex::redis`): pubsub/redis_backplane.hpp is available |
/// | `DUPLEX_HAS_JSON` | 0 | nlohmann/json is linked (`%duplex::rpc`): rpc/json_rpc.hpp is available |
///
/// A header whose feature is off stops with an `#error` that names the CMake
/// target to link. `DUPLEX_HAS_COROUTINES` and `DUPLEX_HAS_LOCAL_SOCKETS`
/// follow Asio's detection and are decided in config/asio.hpp.
#pragma once

// The Asio flavour. Standalone Asio (<asio/...>, std::error_code) by default;
// DUPLEX_USE_BOOST_ASIO=1 (CMake: DUPLEX_ASIO=boost) builds the whole library
// on Boost.Asio (boost::asio, boost::system::error_code), so it runs on the
// boost::asio::io_context of a Beast or Boost program. Code inside namespace
// duplex says asio:: and duplex::error_code either way (config/asio.hpp).
#ifndef DUPLEX_USE_BOOST_ASIO
#define DUPLEX_USE_BOOST_ASIO 0
#endif
#if !DUPLEX_USE_BOOST_ASIO && !defined(ASIO_STANDALONE)
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

// Redis (hiredis) and JSON-RPC (nlohmann/json) likewise: duplex::redis and
// duplex::rpc define them; the headers that need them say so.
#ifndef DUPLEX_HAS_REDIS
#define DUPLEX_HAS_REDIS 0
#endif
#ifndef DUPLEX_HAS_JSON
#define DUPLEX_HAS_JSON 0
#endif

// DUPLEX_HAS_COROUTINES (co_await support) follows Asio's own detection of the
// compiler and library, so it is decided in config/asio.hpp, which includes
// Asio; the sans-I/O layers include no Asio header at all.

/// @cond
// Branch hints, for duplex's own code.
#if defined(__GNUC__) || defined(__clang__)
#define DUPLEX_LIKELY(x) __builtin_expect(!!(x), 1)
#define DUPLEX_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define DUPLEX_LIKELY(x) (x)
#define DUPLEX_UNLIKELY(x) (x)
#endif
/// @endcond

// An empty member (the default per-connection user data) takes no room.
#if defined(__has_cpp_attribute)
#if __has_cpp_attribute(no_unique_address)
#define DUPLEX_NO_UNIQUE_ADDRESS [[no_unique_address]]
#endif
#endif
#ifndef DUPLEX_NO_UNIQUE_ADDRESS
#define DUPLEX_NO_UNIQUE_ADDRESS
#endif
