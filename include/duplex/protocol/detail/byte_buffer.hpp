// Moved to duplex/detail/byte_buffer.hpp (a helper of every layer, not of the
// protocol's alone); this name keeps working for one release.
#pragma once

#include <duplex/detail/byte_buffer.hpp>

namespace duplex::protocol::detail {
using duplex::detail::byte_buffer;
} // namespace duplex::protocol::detail
