// duplex: requires tls
/// @file
/// Asio's OpenSSL layer in the flavour of config/asio.hpp, as duplex::asio::ssl.
/// Link the CMake target `%duplex::tls`.
#pragma once

#include <duplex/config/asio.hpp>

#if DUPLEX_USE_BOOST_ASIO
#include <boost/asio/ssl.hpp>
#else
#include <asio/ssl.hpp>
#endif
