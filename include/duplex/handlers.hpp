// Moved to <duplex/connection/handlers.hpp>; this path keeps working for one release.
#pragma once

#include <duplex/connection/handlers.hpp>
