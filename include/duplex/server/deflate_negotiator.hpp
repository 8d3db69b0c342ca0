// duplex: requires zlib
// permessage-deflate on a server endpoint:
//   route.negotiate_extensions = duplex::extensions::deflate_negotiator();
// deflate_negotiator() lives with the extension (it needs nothing of the
// endpoints); this header is where a server's code finds it. Link duplex::deflate.
#pragma once

#include <duplex/extensions/permessage_deflate.hpp>
