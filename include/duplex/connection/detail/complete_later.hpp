// Completing an Asio operation of duplex's own (async_send, message_stream):
// the handler runs on its associated executor, never inline.
#pragma once

#include <duplex/config/asio.hpp>

#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

namespace duplex::detail {

// Hand a completion to `handler` on its associated executor, never inline, so
// a coroutine resumes outside the connection's handler.
template <class Handler, class... Args>
void complete_later(Handler&& handler, const asio::any_io_executor& fallback, Args&&... args) {
    auto h = std::make_shared<std::decay_t<Handler>>(std::forward<Handler>(handler));
    auto ex = asio::get_associated_executor(*h, fallback);
    asio::post(ex, [h, args = std::make_tuple(std::forward<Args>(args)...)]() mutable {
        std::apply([&](auto&&... a) { (*h)(std::move(a)...); }, std::move(args));
    });
}

} // namespace duplex::detail
