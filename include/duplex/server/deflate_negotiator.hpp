// duplex: requires zlib
/// @file
/// permessage-deflate (RFC 7692) on a server endpoint:
///
/// @code
///   route.negotiate_extensions = duplex::extensions::deflate_negotiator();
/// @endcode
///
/// extensions::deflate_negotiator() lives with the extension (it needs nothing
/// of the endpoints); this header is where a server's code finds it. Link the
/// CMake target `%duplex::deflate`.
#pragma once

#include <duplex/extensions/permessage_deflate.hpp>
