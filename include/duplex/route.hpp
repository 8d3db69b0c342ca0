// Moved to <duplex/server/route.hpp>; this path keeps working for one release.
#pragma once

#include <duplex/server/route.hpp>
