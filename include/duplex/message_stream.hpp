// Moved to <duplex/client/message_stream.hpp>; this path keeps working for one release.
#pragma once

#include <duplex/client/message_stream.hpp>
