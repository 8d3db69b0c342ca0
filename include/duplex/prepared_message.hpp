// Moved to <duplex/connection/prepared_message.hpp>; this path keeps working for one release.
#pragma once

#include <duplex/connection/prepared_message.hpp>
