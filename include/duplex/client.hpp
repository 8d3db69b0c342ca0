// Moved to <duplex/client/client.hpp>; this path keeps working for one release.
#pragma once

#include <duplex/client/client.hpp>
