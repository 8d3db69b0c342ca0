/// @file
/// duplex::error_code and its companions: std's with standalone Asio,
/// boost::system's with Boost.Asio (see DUPLEX_USE_BOOST_ASIO in config/macros.hpp).
#pragma once

#include <duplex/config/macros.hpp>

#if DUPLEX_USE_BOOST_ASIO
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#define DUPLEX_SYSTEM_NAMESPACE boost::system
#else
#include <system_error>
#define DUPLEX_SYSTEM_NAMESPACE std
#endif
/// @def DUPLEX_SYSTEM_NAMESPACE
/// The namespace of error_code, error_category and is_error_code_enum: `std`,
/// or `boost::system` with DUPLEX_USE_BOOST_ASIO; for specialising
/// is_error_code_enum for an application's own error enum.

namespace duplex {

/// The error code type of every duplex callback and return value: the one the
/// Asio flavour uses (std::error_code, or boost::system::error_code).
using error_code = DUPLEX_SYSTEM_NAMESPACE::error_code;
/// What an error_code is compared with: duplex::condition values, std::errc
/// (or boost::system::errc) values.
using error_condition = DUPLEX_SYSTEM_NAMESPACE::error_condition;
/// The exception duplex and Asio throw, carrying an error_code.
using system_error = DUPLEX_SYSTEM_NAMESPACE::system_error;
using DUPLEX_SYSTEM_NAMESPACE::generic_category;

} // namespace duplex
