// Moved to <duplex/connection/connection.hpp>; this path keeps working for one release.
#pragma once

#include <duplex/connection/connection.hpp>
