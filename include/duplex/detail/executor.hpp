// The executor a Config's connections and clients run on: the io_context's own
// with one thread, a strand per object when the Config is multi_threaded.
#pragma once

#include <duplex/config/asio.hpp>

#include <type_traits>

namespace duplex::detail {

template <class Config>
using executor_for = std::conditional_t<Config::multi_threaded, asio::strand<asio::io_context::executor_type>,
                                        asio::io_context::executor_type>;

/// A new executor for one connection or client on `io` (a new strand when multi-threaded).
template <class Config>
executor_for<Config> make_executor(asio::io_context& io) {
    if constexpr (Config::multi_threaded)
        return asio::make_strand(io.get_executor());
    else
        return io.get_executor();
}

} // namespace duplex::detail
