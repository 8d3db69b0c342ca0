// SIGINT/SIGTERM stop an example program that runs on an Asio io_context.
#pragma once

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <csignal>
#include <functional>
#include <system_error>
#include <utility>

namespace example {

/// Calls `stop` on SIGINT or SIGTERM. Make it before printing "listening on":
/// a signal right after that line must find the handler in place.
class stop_on_signals {
public:
    stop_on_signals(asio::io_context& io, std::function<void()> stop) : signals_(io, SIGINT, SIGTERM) {
        signals_.async_wait([stop = std::move(stop)](std::error_code ec, int) {
            if (!ec) stop();
        });
    }
    /// Stop waiting, so that io_context::run() can return without a signal.
    void cancel() { signals_.cancel(); }

private:
    asio::signal_set signals_;
};

} // namespace example
