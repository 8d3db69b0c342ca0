// Moved to <duplex/config/logger.hpp>; this path keeps working for one release.
#pragma once

#include <duplex/config/logger.hpp>
