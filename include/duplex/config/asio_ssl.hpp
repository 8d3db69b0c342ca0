// duplex: requires tls
// Asio's OpenSSL layer in the flavour of config/asio.hpp (asio::ssl).
#pragma once

#include <duplex/config/asio.hpp>

#if DUPLEX_USE_BOOST_ASIO
#include <boost/asio/ssl.hpp>
#else
#include <asio/ssl.hpp>
#endif
