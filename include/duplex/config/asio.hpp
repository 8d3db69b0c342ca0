/// @file
/// The Asio that duplex runs on, as duplex::asio: standalone Asio, or
/// Boost.Asio when DUPLEX_USE_BOOST_ASIO is 1 (see config/macros.hpp). Every
/// header of duplex includes Asio through this one, so `duplex::asio::io_context`
/// names the io_context the library's types take, whichever flavour it is.
///
/// It also decides the feature macros that follow Asio's own detection:
/// `DUPLEX_HAS_COROUTINES` is 1 when Asio supports `co_await` with this
/// compiler and standard library (define it to 0 beforehand to opt out), and
/// DUPLEX_HAS_LOCAL_SOCKETS.
#pragma once

#include <duplex/config/macros.hpp>
#include <duplex/config/system_error.hpp>

// co_await support follows Asio's own detection (compiler and standard library).
#if DUPLEX_USE_BOOST_ASIO
#include <boost/asio/detail/config.hpp>
#if defined(BOOST_ASIO_HAS_CO_AWAIT) && !defined(DUPLEX_HAS_COROUTINES)
#define DUPLEX_HAS_COROUTINES 1
#endif
#else
#include <asio/detail/config.hpp>
#if defined(ASIO_HAS_CO_AWAIT) && !defined(DUPLEX_HAS_COROUTINES)
#define DUPLEX_HAS_COROUTINES 1
#endif
#endif
#ifndef DUPLEX_HAS_COROUTINES
#define DUPLEX_HAS_COROUTINES 0
#endif
/// @def DUPLEX_HAS_LOCAL_SOCKETS
/// 1 when Asio has local (Unix domain) sockets, which transport::unix_socket
/// needs (POSIX systems); 0 otherwise.
#if defined(ASIO_HAS_LOCAL_SOCKETS) || defined(BOOST_ASIO_HAS_LOCAL_SOCKETS)
#define DUPLEX_HAS_LOCAL_SOCKETS 1
#else
#define DUPLEX_HAS_LOCAL_SOCKETS 0
#endif

#if DUPLEX_USE_BOOST_ASIO
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#if DUPLEX_HAS_COROUTINES
#include <boost/asio/use_awaitable.hpp>
#endif

namespace duplex {
/// @cond
namespace asio = ::boost::asio;
/// @endcond
} // namespace duplex
#else
#include <asio/associated_allocator.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/basic_socket_acceptor.hpp>
#include <asio/basic_stream_socket.hpp>
#include <asio/bind_executor.hpp>
#include <asio/buffer.hpp>
#include <asio/connect.hpp>
#include <asio/dispatch.hpp>
#include <asio/error.hpp>
#include <asio/execution_context.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/write.hpp>
#if DUPLEX_HAS_COROUTINES
#include <asio/use_awaitable.hpp>
#endif

namespace duplex {
/// @cond
namespace asio = ::asio;
/// @endcond
} // namespace duplex
#endif
