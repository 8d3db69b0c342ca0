// The tests' Asio: the flavour duplex was built with (see
// duplex/config/asio.hpp), as the global namespace `asio` the tests use.
#pragma once

#include <duplex/config/asio.hpp>

#if DUPLEX_USE_BOOST_ASIO
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#if DUPLEX_HAS_COROUTINES
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#endif
namespace asio = boost::asio;
#else
#include <asio/buffers_iterator.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#if DUPLEX_HAS_COROUTINES
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#endif
#endif
