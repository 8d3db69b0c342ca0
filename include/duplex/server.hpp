// Moved to <duplex/server/server.hpp>; this path keeps working for one release.
#pragma once

#include <duplex/server/server.hpp>
