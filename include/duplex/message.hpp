// Moved to <duplex/connection/message.hpp>; this path keeps working for one release.
#pragma once

#include <duplex/connection/message.hpp>
