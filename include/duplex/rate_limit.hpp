// Moved to <duplex/server/rate_limit.hpp>; this path keeps working for one release.
#pragma once

#include <duplex/server/rate_limit.hpp>
