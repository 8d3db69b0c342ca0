// Moved to <duplex/config/metrics.hpp>; this path keeps working for one release.
#pragma once

#include <duplex/config/metrics.hpp>
