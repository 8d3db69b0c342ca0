// duplex::error_code and its companions: std's with standalone Asio,
// boost::system's with Boost.Asio (see DUPLEX_USE_BOOST_ASIO in macros.hpp).
#pragma once

#include <duplex/config/macros.hpp>

#if DUPLEX_USE_BOOST_ASIO
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
/// The namespace of error_code, error_category and is_error_code_enum.
#define DUPLEX_SYSTEM_NAMESPACE boost::system
#else
#include <system_error>
#define DUPLEX_SYSTEM_NAMESPACE std
#endif

namespace duplex {

/// The error code type of every duplex callback and return value: the one the
/// Asio flavour uses (std::error_code, or boost::system::error_code).
using error_code = DUPLEX_SYSTEM_NAMESPACE::error_code;
using error_condition = DUPLEX_SYSTEM_NAMESPACE::error_condition;
using system_error = DUPLEX_SYSTEM_NAMESPACE::system_error;
using DUPLEX_SYSTEM_NAMESPACE::generic_category;

} // namespace duplex
