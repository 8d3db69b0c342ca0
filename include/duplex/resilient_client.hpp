// Moved to <duplex/client/resilient_client.hpp>; this path keeps working for one release.
#pragma once

#include <duplex/client/resilient_client.hpp>
