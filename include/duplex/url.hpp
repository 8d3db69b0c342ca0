// Moved to <duplex/client/url.hpp>; this path keeps working for one release.
#pragma once

#include <duplex/client/url.hpp>
